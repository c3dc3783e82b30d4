import { describe, expect, it } from 'vitest';
import { Blt } from './blt';
import { noiseStreamStateFromJson, noiseStreamStateToJson } from './noise-stream';
import { bandedSquareRootStrategy } from './strategies';

describe('noise stream state JSON', () => {
  it('round-trips through JSON text and continues bit for bit', () => {
    for (const make of [
      () => new Blt([0.999, 0.9, 0.3], [0.01, 0.1, 0.2]).createInverseStream(4),
      () => bandedSquareRootStrategy(3).createInverseStream(4),
    ]) {
      const a = make();
      const draw = (t: number) => Float64Array.from({ length: 4 }, (_, k) => Math.sin(1 + t * 0.37 + k) / 3);
      for (let t = 0; t < 7; t++) a.next(draw(t));
      const text = JSON.stringify(noiseStreamStateToJson(a.exportState()));
      const b = make();
      b.restoreState(noiseStreamStateFromJson(JSON.parse(text)));
      for (let t = 7; t < 15; t++) expect(Array.from(b.next(draw(t)))).toEqual(Array.from(a.next(draw(t))));
    }
  });

  it('rejects malformed states', () => {
    expect(() =>
      noiseStreamStateFromJson({ strategy: 'blt-inverse', size: 2, step: 1, buffers: [[1, Number.NaN]] }),
    ).toThrow(/json.buffers\[0\]\[1\] must be a finite number/);
    expect(() =>
      noiseStreamStateFromJson({ strategy: 'blt-inverse', size: 2, step: -1, buffers: [] }),
    ).toThrow(/json.step must be an integer/);
    const stream = new Blt([0.5], [0.1]).createInverseStream(2);
    const strategy = stream.exportState().strategy;
    expect(() => stream.restoreState({ strategy, size: 2, step: 0, buffers: [] })).toThrow(
      /state.buffers must hold 1 buffers/,
    );
  });
});
