// Times Documenso's PDF signer the way Documenso uses it: @signpdf/placeholder-plain adds the
// signature placeholder, @documenso/pdf-sign (Rust) signs the byte range with a PKCS#12.
// Usage: node documenso.mjs PDF P12 PASSWORD N OUT.pdf  ->  prints {"seconds_per_signature": ...}
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { plainAddPlaceholder } = require('@signpdf/placeholder-plain');
const { findByteRange, SUBFILTER_ETSI_CADES_DETACHED } = require('@signpdf/utils');
const { signWithP12 } = require('@documenso/pdf-sign');

const [pdfPath, p12Path, password, count, outPath] = process.argv.slice(2);
const pdf = readFileSync(pdfPath);
const p12 = readFileSync(p12Path);
const n = Number(count);

function sign() {
  let doc = plainAddPlaceholder({
    pdfBuffer: pdf,
    reason: 'Firma',
    contactInfo: '',
    name: 'Signum bench',
    location: 'Monterrey',
    signatureLength: 8192,
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
  });
  const { byteRangePlaceholder, byteRangePlaceholderPosition } = findByteRange(doc);
  const byteRangeEnd = byteRangePlaceholderPosition + byteRangePlaceholder.length;
  const contentsTag = doc.indexOf('/Contents ', byteRangeEnd);
  const start = doc.indexOf('<', contentsTag);
  const end = doc.indexOf('>', start);
  const withBrackets = end + 1 - start;
  const byteRange = [0, start, start + withBrackets, 0];
  byteRange[3] = doc.length - byteRange[2];
  let actual = `/ByteRange [${byteRange.join(' ')}]`;
  actual += ' '.repeat(byteRangePlaceholder.length - actual.length);
  doc = Buffer.concat([doc.subarray(0, byteRangePlaceholderPosition), Buffer.from(actual), doc.subarray(byteRangeEnd)]);
  const content = Buffer.concat([doc.subarray(0, byteRange[1]), doc.subarray(byteRange[2])]);
  const signature = signWithP12({ content, cert: p12, password }).toString('hex');
  const padded = signature + '0'.repeat(withBrackets - 2 - signature.length);
  return Buffer.concat([doc.subarray(0, byteRange[1]), Buffer.from(`<${padded}>`), doc.subarray(byteRange[2])]);
}

let last = sign();
for (let i = 0; i < 5; i += 1) last = sign();
const samples = [];
for (let i = 0; i < n; i += 1) {
  const started = process.hrtime.bigint();
  last = sign();
  samples.push(Number(process.hrtime.bigint() - started) / 1e9);
}
samples.sort((a, b) => a - b);
writeFileSync(outPath, last);
process.stdout.write(JSON.stringify({ seconds_per_signature: samples[Math.floor(n / 2)], n }) + '\n');
