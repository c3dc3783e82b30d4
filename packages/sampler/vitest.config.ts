import { cnmProject } from '../../vitest.shared';

export default cnmProject('sampler');
