// Bundle js/src into amlmagic/widgets/static/ (committed, so pip install needs no Node).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: { widgets: path.join(here, "src/index.js") },
  outdir: process.env.AML_WIDGETS_OUTDIR || path.join(here, "../amlmagic/widgets/static"),
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  legalComments: "none",
  logLevel: "warning",
});
