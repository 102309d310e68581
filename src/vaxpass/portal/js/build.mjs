// Bundle the verifier page's JavaScript into one file that the Django app serves from
// its static folder: `npm ci && npm run build`. The output is committed, so a Python-only
// install needs no Node.
import { build } from "esbuild";

await build({
  entryPoints: ["src/main.js"],
  outfile: "../static/portal/verifier.js",
  bundle: true,
  format: "esm",
  minify: true,
  // Browsers of about 2020 on: old office computers and phones at border posts.
  target: "es2020",
  // zxing-cpp's WebAssembly goes inside the bundle, so nothing is fetched from elsewhere.
  loader: { ".wasm": "binary" },
  legalComments: "eof",
  logLevel: "info",
});
