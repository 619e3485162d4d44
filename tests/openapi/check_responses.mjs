// node check_responses.mjs OPENAPI.json SAMPLES.json
// Validates real response bodies against the document's response schemas with Ajv (JSON Schema
// 2020-12, the dialect of OpenAPI 3.1). SAMPLES is [{path, method, status, body}], `path` being
// the document's path template. Prints one JSON result per sample: {ok, errors?}.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [docFile, samplesFile] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(docFile, "utf8"));
const samples = JSON.parse(readFileSync(samplesFile, "utf8"));

// strict: false lets OpenAPI's own keywords (example, writeOnly, ...) sit beside JSON Schema's.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, "openapi");

const escape = (s) => s.replaceAll("~", "~0").replaceAll("/", "~1");
const resolve = (node) => {
  while (node && node.$ref) node = node.$ref.slice(2).split("/").reduce((o, k) => o[k.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
  return node;
};

const results = samples.map(({ path, method, status, body }) => {
  const op = doc.paths?.[path]?.[method.toLowerCase()];
  if (!op) return { ok: false, errors: [`${method} ${path} is not documented`] };
  let response = op.responses?.[String(status)];
  let pointer = `#/paths/${escape(path)}/${method.toLowerCase()}/responses/${status}`;
  if (!response) return { ok: false, errors: [`${method} ${path} documents no ${status} response`] };
  if (response.$ref) pointer = response.$ref;
  response = resolve(response);
  const media = response.content?.["application/json"];
  if (!media?.schema) return { ok: false, errors: [`${method} ${path} ${status} documents no JSON body`] };
  const validate = ajv.getSchema(`openapi${pointer}/content/application~1json/schema`);
  if (validate(body)) return { ok: true };
  return { ok: false, errors: validate.errors.map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`) };
});
process.stdout.write(JSON.stringify(results) + "\n");
