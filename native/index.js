// Loads the compiled addon (native/build/Release/nodectl_native.node). Built by
// `npm run build:native` (scripts/setup runs it); see native/index.d.ts for the API.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let addon;
try {
  addon = require('./build/Release/nodectl_native.node');
} catch (err) {
  const e = new Error(`nodectl's native addon is not built (${err.message.split('\n')[0]}); run: npm run build:native`);
  e.code = 'NATIVE_MISSING';
  throw e;
}
export default addon;
