import { cryptoRandom, type Examples, type PlaygroundData, selectRows, shuffled } from './examples';

/** Most classes a CSV may have (the page's models end in one logit per class). */
export const MAX_CLASSES = 100;
/** Fewest rows a CSV needs: enough for a training and a test split. */
export const MIN_ROWS = 10;

/** Options of {@link parseCsv}. */
export interface ParseCsvOptions {
  /** Fraction of rows held out for measuring accuracy, in (0, 0.5]; default 0.2. */
  readonly testFraction?: number;
  /** Uniform numbers in [0, 1) for the random split; default `crypto.getRandomValues`. */
  readonly random?: () => number;
}

function isNumeric(field: string): boolean {
  return field.trim() !== '' && Number.isFinite(Number(field));
}

/**
 * Reads a person's CSV: one example per line, the class label (an integer ≥ 0) in the first column, numeric
 * features after it, comma-separated; a header line is recognised by a non-numeric field and skipped. Features
 * are used as given: scale them to about [0, 1] beforehand (the page derives nothing from the data's statistics,
 * which would itself reveal something about it). A random `testFraction` of the rows is held out for the
 * accuracy.
 *
 * @throws RangeError naming the line and the rule when a line has another column count, a feature is not a
 * finite number, a label is not an integer in [0, 100), or there are fewer than 10 rows or only one class.
 */
export function parseCsv(text: string, name: string, options: ParseCsvOptions = {}): PlaygroundData {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction <= 0.5)) {
    throw new RangeError(`testFraction must be in (0, 0.5], got ${testFraction}`);
  }
  const lines = text.split(/\r?\n/).map((line, index) => ({ line, number: index + 1 }));
  const rows = lines.filter(({ line }) => line.trim() !== '');
  if (rows.length > 0 && !rows[0]!.line.split(',').every(isNumeric)) rows.shift();
  if (rows.length < MIN_ROWS)
    throw new RangeError(`CSV: needs at least ${MIN_ROWS} data rows, got ${rows.length}`);
  const columns = rows[0]!.line.split(',').length;
  if (columns < 2) throw new RangeError('CSV: needs a label column and at least one feature column');
  const featureCount = columns - 1;
  const features = new Float32Array(rows.length * featureCount);
  const labels = new Int32Array(rows.length);
  rows.forEach(({ line, number }, row) => {
    const fields = line.split(',');
    if (fields.length !== columns) {
      throw new RangeError(`CSV line ${number}: expected ${columns} columns, got ${fields.length}`);
    }
    const label = Number(fields[0]);
    if (!Number.isInteger(label) || label < 0 || label >= MAX_CLASSES || fields[0]!.trim() === '') {
      throw new RangeError(
        `CSV line ${number}: the label must be an integer in [0, ${MAX_CLASSES}), got '${fields[0]}'`,
      );
    }
    labels[row] = label;
    for (let j = 1; j < columns; j += 1) {
      if (!isNumeric(fields[j]!)) {
        throw new RangeError(
          `CSV line ${number}, column ${j + 1}: expected a finite number, got '${fields[j]}'`,
        );
      }
      features[row * featureCount + j - 1] = Number(fields[j]);
    }
  });
  const classCount = labels.reduce((max, label) => Math.max(max, label), 0) + 1;
  if (new Set(labels).size < 2) throw new RangeError('CSV: needs at least two different labels');
  const all: Examples = { count: rows.length, features, labels };
  const order = shuffled(rows.length, options.random ?? cryptoRandom);
  const testCount = Math.max(1, Math.round(rows.length * testFraction));
  return {
    name: `${name} (${rows.length - testCount} training, ${testCount} test rows, ${featureCount} features)`,
    featureCount,
    classCount,
    train: selectRows(all, featureCount, order.slice(testCount)),
    test: selectRows(all, featureCount, order.slice(0, testCount)),
  };
}
