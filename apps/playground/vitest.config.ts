import { cnmProject } from '../../vitest.shared.ts';

export default cnmProject('playground');
