// Jest loads global setup outside its module system, where TypeScript sources with `.js` import
// specifiers cannot resolve; tsx's loader can, so the harness stays TypeScript.
import { register } from "tsx/esm/api";

register();
const { default: setup } = await import("./setup.ts");
export default setup;
