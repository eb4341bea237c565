// Peer tokenizer for lightreasoner's tests and benchmark: the official Tokenizers.js
// (@huggingface/tokenizers, pinned in package.json) encoding the same texts as our C++ code.
// It only prints ids; the comparison is done by tests/test_tokenizer_peer.cpp and bench/bench_tokenizer.cpp.
//   node peer_encode.mjs dump QWEN_DIR MISTRAL_DIR DATA_DIR   -> one JSON line per text:
//        {"file","line","field","text","qwen":[ids],"mistral":[ids]}
//   node peer_encode.mjs bench TOKENIZER_DIR FILE.jsonl        -> one JSON line: {"texts","bytes","tokens","seconds"}
// Texts: the question and answer/solution fields of every *.jsonl under DATA_DIR (grader_vectors skipped);
// string values, and each string of a list value, in the order of TEXT_FIELDS. Encoding is Tokenizers.js'
// default, i.e. Hugging Face's tokenizer(text): added tokens recognised, the post-processor's BOS added.
import { Tokenizer } from "@huggingface/tokenizers";
import fs from "node:fs";
import path from "node:path";

export const TEXT_FIELDS = ["question", "problem", "Question", "Body", "body", "input", "content",
                            "answer", "solution", "rationale", "steps"];

function loadTokenizer(dir) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
  const configPath = path.join(dir, "tokenizer_config.json");
  const config = fs.existsSync(configPath) ? JSON.parse(fs.readFileSync(configPath, "utf8")) : {};
  return new Tokenizer(json, config);
}

function jsonlFiles(dataDir) {
  const files = [];
  for (const sub of fs.readdirSync(dataDir).sort()) {
    const subPath = path.join(dataDir, sub);
    if (sub === "grader_vectors" || !fs.statSync(subPath).isDirectory()) continue;
    for (const name of fs.readdirSync(subPath).sort()) {
      if (name.endsWith(".jsonl")) files.push(path.join(sub, name));
    }
  }
  return files;
}

function* textsOf(file, fullPath) {
  const lines = fs.readFileSync(fullPath, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const record = JSON.parse(lines[i]);
    for (const field of TEXT_FIELDS) {
      const value = record[field];
      if (typeof value === "string") yield { file, line: i + 1, field, text: value };
      else if (Array.isArray(value)) {
        for (const item of value) if (typeof item === "string") yield { file, line: i + 1, field, text: item };
      }
    }
  }
}

function dump(qwenDir, mistralDir, dataDir) {
  const qwen = loadTokenizer(qwenDir);
  const mistral = loadTokenizer(mistralDir);
  const out = [];
  for (const file of jsonlFiles(dataDir)) {
    for (const t of textsOf(file, path.join(dataDir, file))) {
      out.push(JSON.stringify({ ...t, qwen: qwen.encode(t.text).ids, mistral: mistral.encode(t.text).ids }));
      if (out.length >= 2000) { process.stdout.write(out.join("\n") + "\n"); out.length = 0; }
    }
  }
  if (out.length) process.stdout.write(out.join("\n") + "\n");
}

function bench(dir, file) {
  const tok = loadTokenizer(dir);
  const texts = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const r = JSON.parse(line);
    texts.push(r.question, r.answer);
  }
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, "utf8"), 0);
  const start = process.hrtime.bigint();
  let tokens = 0;
  for (const t of texts) tokens += tok.encode(t).ids.length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(JSON.stringify({ texts: texts.length, bytes, tokens, seconds }) + "\n");
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "dump" && args.length === 3) dump(...args);
else if (mode === "bench" && args.length === 2) bench(...args);
else {
  process.stderr.write("usage: node peer_encode.mjs dump QWEN_DIR MISTRAL_DIR DATA_DIR | bench TOKENIZER_DIR FILE.jsonl\n");
  process.exit(2);
}
