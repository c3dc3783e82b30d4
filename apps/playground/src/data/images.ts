import { type Examples, type PlaygroundData, selectRows, shuffled } from './examples';

/** Side of the square grey images the page's models take (28×28, as Fashion-MNIST). */
export const IMAGE_SIDE = 28;
/** Most classes the page trains (its models end in one logit per class). */
export const MAX_IMAGE_CLASSES = 100;
/** Fewest images needed: enough for a training and a test split. */
export const MIN_IMAGES = 10;

/** What a file input gives: the name, and the path inside the chosen folder (`webkitdirectory`), if any. */
export interface NamedFile {
  readonly name: string;
  readonly webkitRelativePath?: string;
}

/**
 * The class name of an image file: the name of the folder that holds it when a folder was chosen (`cats/001.png`
 * → `cats`), otherwise the file name up to its first underscore (`cat_001.png` → `cat`).
 *
 * @throws RangeError naming the file when neither gives a class name.
 */
export function classNameOf(file: NamedFile): string {
  const parts = (file.webkitRelativePath ?? '').split('/').filter((part) => part !== '');
  if (parts.length >= 3) return parts.at(-2)!;
  if (parts.length === 2) {
    throw new RangeError(
      `image '${parts.join('/')}': in a chosen folder, put each class's images in a subfolder named after the class`,
    );
  }
  const underscore = file.name.indexOf('_');
  if (underscore <= 0) {
    throw new RangeError(
      `image '${file.name}': name it label_anything.png (the class name before the first '_') or choose a folder of class subfolders`,
    );
  }
  return file.name.slice(0, underscore);
}

/** One decoded image: its class name and its IMAGE_SIDE² grey levels in [0, 1], row by row. */
export interface LabelledImage {
  readonly className: string;
  readonly pixels: Float32Array;
}

/**
 * Turns decoded images into the page's data: classes numbered in the alphabetical order of their names, a random
 * `testFraction` of the images held out for the accuracy.
 *
 * @throws RangeError when there are fewer than 10 images, fewer than two classes or more than 100, or an image
 * has not IMAGE_SIDE² pixels.
 */
export function imagesToData(
  images: readonly LabelledImage[],
  random: () => number,
  testFraction = 0.2,
): PlaygroundData {
  if (images.length < MIN_IMAGES) {
    throw new RangeError(`images: needs at least ${MIN_IMAGES} images, got ${images.length}`);
  }
  const classNames = [...new Set(images.map((image) => image.className))].sort();
  if (classNames.length < 2) {
    throw new RangeError(`images: needs at least two classes, got only '${classNames[0]}'`);
  }
  if (classNames.length > MAX_IMAGE_CLASSES) {
    throw new RangeError(`images: at most ${MAX_IMAGE_CLASSES} classes, got ${classNames.length}`);
  }
  const featureCount = IMAGE_SIDE * IMAGE_SIDE;
  const features = new Float32Array(images.length * featureCount);
  const labels = new Int32Array(images.length);
  images.forEach((image, row) => {
    if (image.pixels.length !== featureCount) {
      throw new RangeError(`images: each image needs ${featureCount} pixels, got ${image.pixels.length}`);
    }
    features.set(image.pixels, row * featureCount);
    labels[row] = classNames.indexOf(image.className);
  });
  const all: Examples = { count: images.length, features, labels };
  const order = shuffled(images.length, random);
  const testCount = Math.max(1, Math.round(images.length * testFraction));
  const counts = classNames.map((name) => `${name} ${images.filter((i) => i.className === name).length}`);
  return {
    name: `${images.length} images (${images.length - testCount} training, ${testCount} test; classes: ${counts.join(', ')})`,
    featureCount,
    classCount: classNames.length,
    train: selectRows(all, featureCount, order.slice(testCount)),
    test: selectRows(all, featureCount, order.slice(0, testCount)),
  };
}

/** Grey levels in [0, 1] of RGBA pixels (ITU-R BT.601 luma; a transparent pixel counts as black). */
export function greyLevels(rgba: Uint8ClampedArray): Float32Array {
  const grey = new Float32Array(rgba.length / 4);
  for (let i = 0; i < grey.length; i++) {
    const alpha = rgba[4 * i + 3]! / 255;
    grey[i] = ((0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255) * alpha;
  }
  return grey;
}

/**
 * Decodes image files in the page (no request is made) and resizes each to IMAGE_SIDE × IMAGE_SIDE grey levels on a
 * canvas: the whole image is scaled to the square, its aspect ratio not kept.
 *
 * @throws RangeError naming the file when it is not an image or the browser cannot decode it, and the errors of
 * {@link classNameOf} and {@link imagesToData}.
 */
export async function readImageFiles(files: readonly File[], random: () => number): Promise<PlaygroundData> {
  const canvas = document.createElement('canvas');
  canvas.width = IMAGE_SIDE;
  canvas.height = IMAGE_SIDE;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  const images: LabelledImage[] = [];
  for (const file of files) {
    const path = file.webkitRelativePath || file.name;
    // Folders often hold other files (.DS_Store, notes): skipped when their type is no image type.
    if (file.webkitRelativePath && !file.type.startsWith('image/')) continue;
    if (!file.type.startsWith('image/')) {
      throw new RangeError(
        `'${path}' is not an image (type '${file.type || 'unknown'}'): choose PNG or JPEG files`,
      );
    }
    const className = classNameOf(file);
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new RangeError(`'${path}' could not be decoded as an image`);
    }
    context.clearRect(0, 0, IMAGE_SIDE, IMAGE_SIDE);
    context.drawImage(bitmap, 0, 0, IMAGE_SIDE, IMAGE_SIDE);
    bitmap.close();
    images.push({ className, pixels: greyLevels(context.getImageData(0, 0, IMAGE_SIDE, IMAGE_SIDE).data) });
  }
  return imagesToData(images, random);
}
