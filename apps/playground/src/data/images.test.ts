import { describe, expect, it } from 'vitest';
import { classNameOf, greyLevels, IMAGE_SIDE, imagesToData, type LabelledImage } from './images';

const pixels = (value: number) => new Float32Array(IMAGE_SIDE * IMAGE_SIDE).fill(value);
/** A generator of the split that is reproducible. */
const fixedRandom = () => {
  let k = 0;
  return () => {
    k += 1;
    return (k * 0.618033988749895) % 1;
  };
};

describe('classNameOf', () => {
  it('takes the class from the folder when a folder was chosen, else from the name before the first _', () => {
    expect(classNameOf({ name: '001.png', webkitRelativePath: 'photos/cats/001.png' })).toBe('cats');
    expect(classNameOf({ name: 'x_1.png', webkitRelativePath: 'photos/dogs/x_1.png' })).toBe('dogs');
    expect(classNameOf({ name: 'cat_001.png', webkitRelativePath: '' })).toBe('cat');
    expect(classNameOf({ name: 'sea_lion_7.jpg' })).toBe('sea');
  });

  it('names the file when no class name can be found', () => {
    expect(() => classNameOf({ name: 'cat.png' })).toThrow(/image 'cat.png': name it label_anything.png/);
    expect(() => classNameOf({ name: '_1.png' })).toThrow(/image '_1.png'/);
    expect(() => classNameOf({ name: 'a.png', webkitRelativePath: 'photos/a.png' })).toThrow(
      /image 'photos\/a.png': in a chosen folder, put each class's images in a subfolder/,
    );
  });
});

describe('imagesToData', () => {
  it('numbers the classes alphabetically, keeps each image with its label, holds out a fifth', () => {
    const images: LabelledImage[] = Array.from({ length: 10 }, (_, i) => ({
      className: i % 2 === 0 ? 'zebra' : 'ant',
      pixels: pixels(i / 10),
    }));
    const data = imagesToData(images, fixedRandom());
    expect(data.featureCount).toBe(784);
    expect(data.classCount).toBe(2);
    expect([data.train.count, data.test.count]).toEqual([8, 2]);
    expect(data.name).toBe('10 images (8 training, 2 test; classes: ant 5, zebra 5)');
    const seen = [data.train, data.test].flatMap((split) =>
      Array.from(split.labels, (label, i) => [label, split.features[784 * i + 100]!]),
    );
    const expected = Array.from({ length: 10 }, (_, i) => [i % 2 === 0 ? 1 : 0, Math.fround(i / 10)]);
    expect(seen.sort((a, b) => a[1]! - b[1]!)).toEqual(expected);
  });

  it('refuses too few images, a single class and images of another size', () => {
    const one = (className: string) => ({ className, pixels: pixels(0) });
    expect(() => imagesToData([one('a'), one('b')], Math.random)).toThrow(/at least 10 images, got 2/);
    expect(() => imagesToData(Array(12).fill(one('a')), Math.random)).toThrow(
      /at least two classes, got only 'a'/,
    );
    const wrong = [...Array(11).fill(one('a')), { className: 'b', pixels: new Float32Array(10) }];
    expect(() => imagesToData(wrong, Math.random)).toThrow(/each image needs 784 pixels, got 10/);
    const many = Array.from({ length: 101 }, (_, i) => one(`c${i}`));
    expect(() => imagesToData(many, Math.random)).toThrow(/at most 100 classes, got 101/);
  });
});

describe('greyLevels', () => {
  it('is the luma in [0, 1], transparent as black', () => {
    const rgba = Uint8ClampedArray.from([255, 255, 255, 255, 255, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0]);
    const grey = greyLevels(rgba);
    expect(Array.from(grey)).toEqual([1, 0.299, 0, 0].map(Math.fround));
  });
});
