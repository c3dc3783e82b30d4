import { describe, expect, it } from 'vitest';
import { useCpuBackend } from '../test/tfjs-setup';
import { checkVariables, readGradientSums } from './gradient-sums';

const tf = await useCpuBackend();

describe('readGradientSums', () => {
  const a = tf.variable(tf.zeros([2, 2]));
  const b = tf.variable(tf.zeros([3]));

  it('returns the sums in variable order from a Map or a NamedTensorMap', () => {
    const fromMap = readGradientSums(
      [a, b],
      new Map([
        [b, tf.tensor([4, 5, 6])],
        [
          a,
          tf.tensor([
            [0, 1],
            [2, 3],
          ]),
        ],
      ]),
    );
    expect(fromMap.map((x) => [...x])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6],
    ]);
    const fromNameMap = readGradientSums(
      [a, b],
      new Map([
        [a.name, tf.zeros([2, 2])],
        [b.name, tf.tensor([7, 8, 9])],
      ]),
    );
    expect([...(fromNameMap[1] as Float32Array)]).toEqual([7, 8, 9]);
    expect(() =>
      readGradientSums(
        [b],
        new Map<unknown, never>([
          [b, tf.zeros([3]) as never],
          [b.name, tf.zeros([3]) as never],
        ]) as never,
      ),
    ).toThrow(/two entries/);
    const fromNames = readGradientSums([a, b], {
      [b.name]: tf.tensor([4, 5, 6]),
      [a.name]: tf.zeros([2, 2]),
    });
    expect([...(fromNames[1] as Float32Array)]).toEqual([4, 5, 6]);
  });

  it('names the variable in every error', () => {
    expect(() => readGradientSums([a, b], { [a.name]: tf.zeros([2, 2]) })).toThrow(
      `no entry for variable '${b.name}'`,
    );
    expect(() => readGradientSums([a], { [a.name]: tf.zeros([2, 2]), extra: tf.zeros([1]) })).toThrow(
      /'extra'/,
    );
    expect(() => readGradientSums([b], { [b.name]: tf.zeros([1, 3]) })).toThrow(/shape \[3\], got \[1, 3\]/);
    expect(() => readGradientSums([b], { [b.name]: tf.tensor([0, Number.POSITIVE_INFINITY, 0]) })).toThrow(
      /flat index 1/,
    );
    const disposed = tf.zeros([3]);
    disposed.dispose();
    expect(() => readGradientSums([b], { [b.name]: disposed })).toThrow(/live tf.Tensor/);
    expect(() => readGradientSums([b], null as never)).toThrow(TypeError);
  });
});

describe('checkVariables', () => {
  it('accepts distinct float32 variables and refuses the rest', () => {
    const v = tf.variable(tf.zeros([2]));
    expect(checkVariables([v])).toEqual([v]);
    expect(() => checkVariables([tf.variable(tf.zeros([2], 'int32'))])).toThrow(/dtype float32/);
    const gone = tf.variable(tf.zeros([2]));
    gone.dispose();
    expect(() => checkVariables([gone])).toThrow(/disposed/);
  });
});
