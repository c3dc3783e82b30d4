import { cnmProject } from '../../vitest.shared.ts';

// The tests run the built `cnm` bin: the global setup builds it (and the packages it imports) when missing or stale.
export default cnmProject('cli', { globalSetup: ['./test/build-bin.ts'], testTimeout: 60_000 });
