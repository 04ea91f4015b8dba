// Validates OpenAPI documents with swagger-parser (the validator many
// generators use): schema validation plus spec rules. Exits non-zero on
// the first document that fails.
import SwaggerParser from "@apidevtools/swagger-parser";

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    await SwaggerParser.validate(file);
    console.log(`${file}: valid`);
  } catch (err) {
    failed = true;
    console.error(`${file}: ${err.message}`);
  }
}
process.exit(failed ? 1 : 0);
