import { describe, expect, it } from 'vitest';
import { DEFAULT_PHYSICAL_BATCH_SIZES, formatPhysicalBatch, parsePhysicalBatch } from './physical-batch';

describe('--physical-batch', () => {
  it('a plain number chunks every model; whole means no chunking', () => {
    expect(parsePhysicalBatch('128')).toEqual({ cnn: 128, unet: 128, lstm: 128, transformer: 128 });
    expect(parsePhysicalBatch('whole')).toEqual({});
  });

  it('model=n pairs set per-model chunks; a model not named keeps its default', () => {
    expect(parsePhysicalBatch('cnn=1024,unet=32')).toEqual({ cnn: 1024, unet: 32 });
    expect(parsePhysicalBatch(' unet = 16 ')).toEqual({ cnn: DEFAULT_PHYSICAL_BATCH_SIZES.cnn, unet: 16 });
    expect(parsePhysicalBatch('cnn=whole')).toEqual({ unet: DEFAULT_PHYSICAL_BATCH_SIZES.unet });
  });

  it('the defaults chunk the U-Net below the CNN (its 64x64 activations are 5x larger)', () => {
    expect(DEFAULT_PHYSICAL_BATCH_SIZES).toEqual({ cnn: 256, unet: 64 });
    expect(formatPhysicalBatch(DEFAULT_PHYSICAL_BATCH_SIZES)).toBe(
      'cnn=256,unet=64,lstm=whole,transformer=whole',
    );
    expect(formatPhysicalBatch({ unet: 8 }, ['unet', 'cnn'])).toBe('unet=8,cnn=whole');
  });

  it.each([
    ['0', /'0' in '0' is not a chunk size; expected a positive integer for every model, or model=n pairs/],
    ['-4', /'-4' in '-4' is not a chunk size/],
    ['1.5', /'1.5' in '1.5' is not a chunk size/],
    ['', /'' in '' is not a chunk size/],
    ['cnn=0', /'0' in 'cnn=0' is not a chunk size/],
    ['cnn=abc', /'abc' in 'cnn=abc' is not a chunk size/],
    ['cnn=', /'' in 'cnn=' is not a chunk size/],
    ['cnn=64,', /'' in 'cnn=64,' is not model=n/],
    ['cnn=64=2', /'cnn=64=2' in 'cnn=64=2' is not model=n/],
    ['=64', /'=64' in '=64' is not model=n/],
    ['mlp=64', /unknown model 'mlp' in 'mlp=64'; models are cnn, unet, lstm, transformer/],
    ['cnn=64,cnn=32', /model 'cnn' given twice/],
  ])('rejects %j with a RangeError naming the option', (value, message) => {
    expect(() => parsePhysicalBatch(value)).toThrow(RangeError);
    expect(() => parsePhysicalBatch(value)).toThrow(/^--physical-batch: /);
    expect(() => parsePhysicalBatch(value)).toThrow(message);
  });
});
