import { steadyVitestConfig } from '../../vitest.shared.ts';

export default steadyVitestConfig();
