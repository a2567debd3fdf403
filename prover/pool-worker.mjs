// Piscina loads this plain-JS entry; it registers tsx so the TypeScript worker can be imported,
// whatever loader (or none) the parent process was started with.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./pool-worker.ts');
export default mod.default;
