// See global-setup.js for why this goes through tsx.
import { register } from "tsx/esm/api";

register();
const { default: teardown } = await import("./teardown.ts");
export default teardown;
