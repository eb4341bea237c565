// JSON Lines: bad lines (stop with file:line, or skip and count), empty lines, CRLF, UTF-8 BOM,
// very long lines, a torn last line dropped on reopen, field accessors naming file:line.
#include "lightreasoner/io/jsonl.h"

#include <fstream>

#include "lightreasoner/core/atomic_file.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;
using namespace lightreasoner::io;

TEST(Jsonl, ReadsRecordsWithLineNumbersSkippingEmptyLines) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "a.jsonl", "{\"q\":\"one\"}\n\n   \n{\"q\":\"two\"}\r\n{\"q\":\"three\"}");
  auto records = read_jsonl(dir / "a.jsonl");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[1].line, 4);
  EXPECT_EQ(records[1].string_field("q"), "two");  // CRLF stripped
  EXPECT_EQ(records[2].line, 5);                     // last line without newline is still read
  EXPECT_EQ(records[2].where(), (dir / "a.jsonl").string() + ":5");
}

TEST(Jsonl, Utf8BomIsSkipped) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "bom.jsonl", "\xEF\xBB\xBF{\"q\":\"caf\xC3\xA9\"}\n");
  auto records = read_jsonl(dir / "bom.jsonl");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].string_field("q"), "caf\xC3\xA9");
}

TEST(Jsonl, BadLineStopsWithFileAndLine) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "bad.jsonl", "{\"q\":1}\n{\"q\": oops}\n{\"q\":3}\n");
  EXPECT_LR_ERROR(read_jsonl(dir / "bad.jsonl"), "bad.jsonl:2: not valid JSON");
  write_file_atomic(dir / "array.jsonl", "[1,2]\n");
  EXPECT_LR_ERROR(read_jsonl(dir / "array.jsonl"), "array.jsonl:1: expected a JSON object, got array");
  // Found by fuzz_contrast: a number beyond double's range escaped as a raw JSON exception.
  write_file_atomic(dir / "huge.jsonl", "{\"q\":1}\n{\"q\": 22222e2222}\n");
  EXPECT_LR_ERROR(read_jsonl(dir / "huge.jsonl"), "huge.jsonl:2: not valid JSON");
  JsonlReader skipping(dir / "huge.jsonl", BadRecordPolicy::kSkip);
  JsonlRecord record;
  int64_t good = 0;
  while (skipping.next(record)) ++good;
  EXPECT_EQ(good, 1);
  EXPECT_EQ(skipping.bad_records(), 1);
}

TEST(Jsonl, BadLinesCanBeSkippedAndCounted) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "bad.jsonl", "{\"q\":1}\n{\"q\": oops}\n42\n{\"q\":3}\n");
  JsonlReader reader(dir / "bad.jsonl", BadRecordPolicy::kSkip);
  JsonlRecord record;
  std::vector<int64_t> lines;
  while (reader.next(record)) lines.push_back(record.line);
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(reader.bad_records(), 2);
  EXPECT_NE(reader.summary().find("2 bad record(s) skipped"), std::string::npos);
  EXPECT_NE(reader.summary().find("first at line 2"), std::string::npos);
  EXPECT_EQ(parse_bad_record_policy("skip"), BadRecordPolicy::kSkip);
  EXPECT_LR_ERROR(parse_bad_record_policy("ignore"), "must be 'stop' or 'skip'");
}

TEST(Jsonl, VeryLongLines) {
  auto dir = lrtest::temp_dir();
  std::string big(5 << 20, 'x');  // 5 MB string field
  {
    JsonlWriter writer(dir / "long.jsonl", false);
    writer.write({{"text", big}});
    writer.write({{"text", "short"}});
  }
  auto records = read_jsonl(dir / "long.jsonl");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].string_field("text").size(), big.size());
}

TEST(Jsonl, FieldAccessorsNameFileLineAndField) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "f.jsonl", "{\"problem\": 7, \"answer\": \"4\"}\n");
  auto records = read_jsonl(dir / "f.jsonl");
  EXPECT_LR_ERROR(records[0].string_field("question"), "f.jsonl:1: missing field 'question'");
  EXPECT_LR_ERROR(records[0].string_field("problem"), "f.jsonl:1: field 'problem' must be a string (got 7)");
  EXPECT_LR_ERROR(records[0].first_string_field({"question", "input"}),
                  "missing field: expected one of 'question', 'input'");
  std::string which;
  EXPECT_EQ(records[0].first_string_field({"question", "answer"}, &which), "4");
  EXPECT_EQ(which, "answer");
}

TEST(Jsonl, WriterDropsTornLastLineOnReopen) {
  auto dir = lrtest::temp_dir();
  fs::path path = dir / "out.jsonl";
  {
    JsonlWriter writer(path, false);
    writer.write({{"id", 1}});
    writer.write({{"id", 2}});
    writer.flush();
  }
  // Simulate a kill in the middle of writing record 3.
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "{\"id\": 3, \"tex";
  }
  {
    JsonlWriter writer(path, /*append=*/true);
    EXPECT_EQ(writer.torn_bytes_dropped(), 14);
    writer.write({{"id", 3}});
    writer.flush();
  }
  auto records = read_jsonl(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].value["id"], 3);
  // Reopen without a torn line changes nothing; append=false truncates.
  { JsonlWriter writer(path, true); EXPECT_EQ(writer.torn_bytes_dropped(), 0); }
  EXPECT_EQ(read_jsonl(path).size(), 3u);
  { JsonlWriter writer(path, false); }
  EXPECT_EQ(read_jsonl(path).size(), 0u);
}

TEST(Jsonl, TornFileWithoutAnyNewlineIsEmptied) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "t.jsonl", "{\"partial");
  EXPECT_EQ(drop_torn_last_line(dir / "t.jsonl"), 9);
  EXPECT_EQ(fs::file_size(dir / "t.jsonl"), 0u);
  EXPECT_EQ(drop_torn_last_line(dir / "absent.jsonl"), 0);
}

TEST(Jsonl, InvalidUtf8InOutputIsReplacedNotFatal) {
  auto dir = lrtest::temp_dir();
  {
    JsonlWriter writer(dir / "u.jsonl", false);
    writer.write({{"completion", std::string("ok \xff\xfe end")}});
  }
  auto records = read_jsonl(dir / "u.jsonl");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].string_field("completion"), "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_LR_ERROR(JsonlWriter(dir / "u2.jsonl", false).write_line("{\"a\":1}\n{\"b\":2}"), "raw newline");
}

TEST(Jsonl, MissingFileIsAClearError) {
  EXPECT_LR_ERROR(JsonlReader("/nonexistent/dir/x.jsonl"), "cannot open '/nonexistent/dir/x.jsonl'");
}
