import { describe, expect, it } from 'vitest';
import { getLayerRule, registerLayerRule, supportedLayerClasses, unregisterLayerRule } from './registry';
import type { LayerRule } from './types';

const dummy: LayerRule = {
  forward: () => {
    throw new Error('not called');
  },
  contributions: () => new Map(),
};

describe('layer rule registry', () => {
  it('replaces a built-in rule and restores it on unregister; built-ins cannot be removed', () => {
    const builtin = getLayerRule('Dense');
    registerLayerRule('Dense', dummy);
    expect(getLayerRule('Dense')).toBe(dummy);
    expect(unregisterLayerRule('Dense')).toBe(true);
    expect(getLayerRule('Dense')).toBe(builtin);
    expect(unregisterLayerRule('Dense')).toBe(false);
    expect(getLayerRule('Dense')).toBe(builtin);
  });
  it('adds and removes a custom rule', () => {
    registerLayerRule('MyLayer', dummy);
    expect(supportedLayerClasses()).toContain('MyLayer');
    expect(unregisterLayerRule('MyLayer')).toBe(true);
    expect(unregisterLayerRule('MyLayer')).toBe(false);
    expect(getLayerRule('MyLayer')).toBeUndefined();
  });
});
