import { cnmProject } from '../../vitest.shared.ts';

export default cnmProject('tfjs', { setupFiles: ['./test/setup-seeded-initializers.ts'] });
