#!/usr/bin/env python3
"""Validate text in the Prometheus text exposition format, version 0.0.4.

    promcheck.py [FILE]      check FILE (or standard input when FILE is - or absent)
    promcheck.py --self-test check the checker against good and bad examples

Exit status: 0 when the text is valid, 1 when it is not (one message on
standard error naming the line), 2 on a usage error.

The rules are those of https://prometheus.io/docs/instrumenting/exposition_formats/
and of the reference parser (prometheus/common expfmt), made stricter where
pullgate promises more: every family has HELP and TYPE lines before its
samples, and a family's lines are contiguous.

- Lines end in a line feed, the last one too; the text is UTF-8.
- "# HELP name text" and "# TYPE name type": at most one of each per family;
  in HELP text only \\\\ and \\n are escapes. Other "#" lines are comments.
- Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
  and do not start with "__"; a label appears once per sample; label values
  are quoted, with \\\\, \\" and \\n the only escapes.
- A value is a float ("1", "-2.5e3", "+Inf", "-Inf", "NaN"), optionally
  followed by an integer timestamp in milliseconds.
- No two samples have the same name and label set.
- Counters: samples named as the family, values not negative (nor NaN).
- Histograms: only name_bucket (with le), name_sum and name_count; per label
  set, le strictly increasing, counts never decreasing, a le="+Inf" bucket
  equal to _count, and _sum and _count present.
- Summaries: name (with quantile), name_sum and name_count.
"""

import argparse
import math
import re
import sys

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# What Go's strconv.ParseFloat accepts in decimal, and the spellings of
# infinity and NaN it accepts (case-insensitively).
FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)")
SPECIAL_FLOAT = re.compile(r"[+-]?(?:inf|infinity)|nan", re.IGNORECASE)
TIMESTAMP = re.compile(r"-?\d+")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
BLANKS = " \t"


class Invalid(Exception):
    def __init__(self, line, message):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def parse_float(text, line, what):
    if FLOAT.fullmatch(text) or SPECIAL_FLOAT.fullmatch(text):
        return float(text)
    raise Invalid(line, f"{what} {text!r} is not a number")


class Family:
    def __init__(self, name, line):
        self.name = name
        self.first_line = line
        self.help = None
        self.type = None
        self.samples = 0
        self.closed = False  # another family's lines came after this one's


class Sample:
    def __init__(self, line, name, labels, value):
        self.line = line
        self.name = name
        self.labels = labels  # list of (name, value) in order
        self.value = value


def parse_labels(text, pos, line):
    """Parses '{...}' starting at text[pos] == '{'; returns (labels, pos after '}')."""
    labels = []
    pos += 1
    while True:
        while pos < len(text) and text[pos] in BLANKS:
            pos += 1
        if pos < len(text) and text[pos] == "}":
            return labels, pos + 1
        m = LABEL_NAME.match(text, pos)
        if not m:
            raise Invalid(line, f"expected a label name at column {pos + 1}")
        name = m.group()
        if name.startswith("__"):
            raise Invalid(line, f"label name {name!r} is reserved (starts with __)")
        if any(name == n for n, _ in labels):
            raise Invalid(line, f"label {name!r} appears twice")
        pos = m.end()
        while pos < len(text) and text[pos] in BLANKS:
            pos += 1
        if pos >= len(text) or text[pos] != "=":
            raise Invalid(line, f"expected '=' after label {name!r}")
        pos += 1
        while pos < len(text) and text[pos] in BLANKS:
            pos += 1
        if pos >= len(text) or text[pos] != '"':
            raise Invalid(line, f"expected '\"' to open the value of label {name!r}")
        value, pos = parse_label_value(text, pos + 1, line, name)
        labels.append((name, value))
        while pos < len(text) and text[pos] in BLANKS:
            pos += 1
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos >= len(text) or text[pos] != "}":
            raise Invalid(line, f"expected ',' or '}}' after the value of label {name!r}")


def parse_label_value(text, pos, line, name):
    out = []
    while pos < len(text):
        c = text[pos]
        if c == '"':
            return "".join(out), pos + 1
        if c == "\\":
            escape = text[pos + 1 : pos + 2]
            if escape not in ("\\", '"', "n"):
                raise Invalid(line, f"invalid escape '\\{escape}' in the value of label {name!r}")
            out.append("\n" if escape == "n" else escape)
            pos += 2
            continue
        out.append(c)
        pos += 1
    raise Invalid(line, f"the value of label {name!r} is not closed")


def parse_sample(text, line):
    m = METRIC_NAME.match(text)
    if not m:
        raise Invalid(line, "expected a metric name")
    name, pos = m.group(), m.end()
    labels = []
    if pos < len(text) and text[pos] == "{":
        labels, pos = parse_labels(text, pos, line)
    rest = text[pos:]
    if not rest or rest[0] not in BLANKS:
        raise Invalid(line, f"expected a blank and a value after {name}")
    fields = rest.split()
    if len(fields) not in (1, 2):
        raise Invalid(line, f"expected a value and an optional timestamp, got {rest.strip()!r}")
    value = parse_float(fields[0], line, "value")
    if len(fields) == 2 and not TIMESTAMP.fullmatch(fields[1]):
        raise Invalid(line, f"timestamp {fields[1]!r} is not an integer")
    return Sample(line, name, labels, value)


def check_help_text(text, line):
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if text[i + 1 : i + 2] not in ("\\", "n"):
                raise Invalid(line, f"invalid escape '\\{text[i + 1 : i + 2]}' in HELP text")
            i += 2
        else:
            i += 1


class Checker:
    def __init__(self):
        self.families = {}
        self.current = None
        self.series = {}  # (name, sorted labels) -> line
        self.histograms = {}  # (family, labels without le) -> group
        self.sample_count = 0

    def enter(self, name, line):
        """The family `name` has a line here: it must not have been left before."""
        family = self.families.get(name)
        if family is None:
            family = self.families[name] = Family(name, line)
        if family is not self.current:
            if family.closed:
                raise Invalid(line, f"family {name} continues after other families "
                                    f"(it started on line {family.first_line}); "
                                    f"a family's lines must be contiguous")
            if self.current is not None:
                self.current.closed = True
            self.current = family
        return family

    def family_of(self, sample_name):
        """The declared family a sample name belongs to, or the name itself."""
        for suffix in ("_bucket", "_sum", "_count"):
            if sample_name.endswith(suffix):
                base = self.families.get(sample_name[: -len(suffix)])
                if base is not None and base.type in ("histogram", "summary"):
                    return base.name
        return sample_name

    def descriptor(self, text, line):
        m = re.match(r"#[ \t]*(HELP|TYPE)(?:[ \t]+|$)", text)
        if not m:
            return  # a comment
        keyword, rest = m.group(1), text[m.end():]
        n = METRIC_NAME.match(rest)
        if not n:
            raise Invalid(line, f"expected a metric name after # {keyword}")
        name = n.group()
        after = rest[n.end():]
        if after and after[0] not in BLANKS:
            word = name + after.split()[0]
            raise Invalid(line, f"invalid character {after[0]!r} in metric name {word!r}")
        family = self.enter(name, line)
        if family.samples:
            raise Invalid(line, f"# {keyword} for {name} after its samples")
        if keyword == "HELP":
            if family.help is not None:
                raise Invalid(line, f"second HELP line for {name}")
            help_text = after[1:] if after else ""
            check_help_text(help_text, line)
            family.help = help_text
        else:
            if family.type is not None:
                raise Invalid(line, f"second TYPE line for {name}")
            kind = after.strip(BLANKS)
            if kind not in TYPES:
                raise Invalid(line, f"unknown type {kind!r} for {name} (expected one of "
                                    f"{', '.join(sorted(TYPES))})")
            family.type = kind

    def sample(self, text, line):
        s = parse_sample(text, line)
        name = self.family_of(s.name)
        family = self.enter(name, line)
        if family.type is None:
            raise Invalid(line, f"sample of {name} before a # TYPE line for it")
        if family.help is None:
            raise Invalid(line, f"sample of {name} before a # HELP line for it")
        family.samples += 1
        self.sample_count += 1
        key = (s.name, tuple(sorted(s.labels)))
        if key in self.series:
            raise Invalid(line, f"duplicate series {s.name}{dict(s.labels)} "
                                f"(first on line {self.series[key]})")
        self.series[key] = line
        {"counter": self.counter_sample, "histogram": self.histogram_sample,
         "summary": self.summary_sample}.get(family.type, self.plain_sample)(family, s)

    def plain_sample(self, family, s):
        if s.name != family.name:
            raise Invalid(s.line, f"sample {s.name} in a {family.type} family {family.name}")

    def counter_sample(self, family, s):
        self.plain_sample(family, s)
        if math.isnan(s.value) or s.value < 0:
            raise Invalid(s.line, f"counter {s.name} has a negative or NaN value")

    def histogram_sample(self, family, s):
        suffix = s.name[len(family.name):]
        if suffix not in ("_bucket", "_sum", "_count"):
            raise Invalid(s.line, f"histogram {family.name} has a sample named {s.name} "
                                  f"(only _bucket, _sum and _count)")
        le = [v for n, v in s.labels if n == "le"]
        others = tuple(sorted((n, v) for n, v in s.labels if n != "le"))
        group = self.histograms.setdefault(
            (family.name, others), {"line": s.line, "buckets": [], "sum": None, "count": None})
        if suffix != "_bucket":
            if le:
                raise Invalid(s.line, f"{s.name} has an le label")
            group[suffix[1:]] = s.value
            return
        if not le:
            raise Invalid(s.line, f"{s.name} has no le label")
        bound = parse_float(le[0], s.line, "le")
        if math.isnan(bound):
            raise Invalid(s.line, f"{s.name} has le=\"NaN\"")
        if math.isnan(s.value) or s.value < 0:
            raise Invalid(s.line, f"bucket {s.name} has a negative or NaN count")
        if group["count"] is not None or group["sum"] is not None:
            raise Invalid(s.line, f"bucket of {family.name} after its _sum or _count")
        if group["buckets"]:
            last_bound, last_count, _ = group["buckets"][-1]
            if bound <= last_bound:
                raise Invalid(s.line, f"le=\"{le[0]}\" of {family.name} is not greater than "
                                      f"the bucket before it")
            if s.value < last_count:
                raise Invalid(s.line, f"bucket le=\"{le[0]}\" of {family.name} counts less than "
                                      f"the bucket before it ({s.value:g} < {last_count:g}); "
                                      f"buckets are cumulative")
        group["buckets"].append((bound, s.value, s.line))

    def summary_sample(self, family, s):
        suffix = s.name[len(family.name):]
        quantile = [v for n, v in s.labels if n == "quantile"]
        if suffix == "":
            if not quantile:
                raise Invalid(s.line, f"summary sample {s.name} has no quantile label")
            q = parse_float(quantile[0], s.line, "quantile")
            if not 0 <= q <= 1:
                raise Invalid(s.line, f"quantile {quantile[0]} is outside 0 to 1")
        elif suffix not in ("_sum", "_count"):
            raise Invalid(s.line, f"summary {family.name} has a sample named {s.name}")
        elif quantile:
            raise Invalid(s.line, f"{s.name} has a quantile label")

    def finish(self):
        for (name, labels), group in self.histograms.items():
            where = f"{name}{dict(labels)}" if labels else name
            line = group["line"]
            buckets = group["buckets"]
            if not buckets or not math.isinf(buckets[-1][0]):
                raise Invalid(line, f"histogram {where} has no le=\"+Inf\" bucket")
            if group["count"] is None:
                raise Invalid(line, f"histogram {where} has no _count")
            if group["sum"] is None:
                raise Invalid(line, f"histogram {where} has no _sum")
            if buckets[-1][1] != group["count"]:
                raise Invalid(buckets[-1][2], f"le=\"+Inf\" bucket of {where} "
                                              f"({buckets[-1][1]:g}) differs from its _count "
                                              f"({group['count']:g})")


def check(data):
    """Checks exposition bytes; returns (families, samples) or raises Invalid."""
    if data and not data.endswith(b"\n"):
        raise Invalid(data.count(b"\n") + 1, "the last line does not end with a line feed")
    checker = Checker()
    for number, raw in enumerate(data.split(b"\n")[:-1] if data else [], start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Invalid(number, f"not UTF-8 at byte {e.start + 1}") from None
        if text.strip(BLANKS) == "":
            continue
        if text.startswith("#"):
            checker.descriptor(text, number)
        else:
            checker.sample(text, number)
    checker.finish()
    return len(checker.families), checker.sample_count


GAUGE = "# HELP g G.\n# TYPE g gauge\n"
COUNTER = "# HELP c_total C.\n# TYPE c_total counter\n"
GOOD_HISTOGRAM = (
    "# HELP h_seconds Latency.\n# TYPE h_seconds histogram\n"
    'h_seconds_bucket{le="0.5"} 1\nh_seconds_bucket{le="1"} 2\n'
    'h_seconds_bucket{le="+Inf"} 3\nh_seconds_sum 4.5\nh_seconds_count 3\n'
)

# (name, text, None when valid or (line, part of the message) when not)
SELF_TESTS = [
    ("empty text", "", None),
    ("counter with labels, gauge, comment, blank line",
     "# a comment\n# HELP a_total A \\\\ b\\nc.\n# TYPE a_total counter\n"
     'a_total{x="1",y="q\\"uote\\\\ \\n"} 3\n\n' + GAUGE + "g -1.5e3 1700000000000\n",
     None),
    ("TYPE before HELP, trailing comma, blanks around labels",
     '# TYPE a gauge\n# HELP a A.\na{ x = "1" , } 1\n', None),
    ("special values", GAUGE + 'g{a="1"} +Inf\ng{a="2"} -Inf\ng{a="3"} NaN\n', None),
    ("histogram", GOOD_HISTOGRAM, None),
    ("histogram with labels, two series",
     "# HELP h H.\n# TYPE h histogram\n"
     'h_bucket{p="a",le="1"} 0\nh_bucket{p="a",le="+Inf"} 1\nh_sum{p="a"} 2\nh_count{p="a"} 1\n'
     'h_bucket{p="b",le="1"} 1\nh_bucket{p="b",le="+Inf"} 1\nh_sum{p="b"} 0.5\nh_count{p="b"} 1\n',
     None),
    ("family with no samples", "# HELP c_total C.\n# TYPE c_total counter\n", None),
    ("summary", '# HELP s S.\n# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 3\ns_count 2\n', None),
    ("UTF-8 label value", GAUGE + 'g{a="caf\u00e9 \U0001f433"} 1\n', None),

    ("no final line feed", GAUGE + "g 1", (3, "line feed")),
    ("sample without TYPE", "# HELP g G.\ng 1\n", (2, "TYPE")),
    ("sample without HELP", "# TYPE g gauge\ng 1\n", (2, "HELP")),
    ("second TYPE", GAUGE + "# TYPE g counter\n", (3, "second TYPE")),
    ("second HELP", "# HELP g G.\n# HELP g G.\n", (2, "second HELP")),
    ("TYPE after samples", GAUGE + "g 1\n# TYPE g gauge\n", (4, "after its samples")),
    ("unknown type", "# HELP g G.\n# TYPE g meter\n", (2, "unknown type")),
    ("bad metric name", "# HELP 1g G.\n", (1, "metric name")),
    ("bad character in metric name", "# HELP g-x G.\n", (1, "invalid character")),
    ("bad label name", GAUGE + 'g{1a="x"} 1\n', (3, "label name")),
    ("reserved label name", GAUGE + 'g{__x="x"} 1\n', (3, "reserved")),
    ("label twice", GAUGE + 'g{a="x",a="y"} 1\n', (3, "twice")),
    ("bad escape in label value", GAUGE + 'g{a="\\t"} 1\n', (3, "invalid escape")),
    ("unclosed label value", GAUGE + 'g{a="x} 1\n', (3, "not closed")),
    ("bad escape in HELP", "# HELP g G\\q.\n", (1, "invalid escape")),
    ("not UTF-8", GAUGE.encode() + b'g{a="\xff"} 1\n', (3, "UTF-8")),
    ("value not a number", GAUGE + "g one\n", (3, "not a number")),
    ("value missing", GAUGE + "g\n", (3, "value")),
    ("bad timestamp", GAUGE + "g 1 1.5\n", (3, "timestamp")),
    ("duplicate series", GAUGE + 'g{a="1",b="2"} 1\ng{b="2",a="1"} 2\n',
     (4, "duplicate series")),
    ("negative counter", COUNTER + "c_total -1\n", (3, "negative")),
    ("NaN counter", COUNTER + "c_total NaN\n", (3, "NaN")),
    ("family not contiguous",
     "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x=\"y\"} 2\n",
     (7, "contiguous")),
    ("bucket without le", GOOD_HISTOGRAM.replace('{le="0.5"}', ""), (3, "no le")),
    ("buckets not cumulative", GOOD_HISTOGRAM.replace('{le="1"} 2', '{le="1"} 0'),
     (4, "cumulative")),
    ("le not increasing", GOOD_HISTOGRAM.replace('le="1"', 'le="0.25"'), (4, "not greater")),
    ("no +Inf bucket", GOOD_HISTOGRAM.replace('h_seconds_bucket{le="+Inf"} 3\n', ""), (3, "+Inf")),
    ("+Inf differs from _count", GOOD_HISTOGRAM.replace("h_seconds_count 3", "h_seconds_count 4"),
     (5, "differs from its _count")),
    ("no _sum", GOOD_HISTOGRAM.replace("h_seconds_sum 4.5\n", ""), (3, "no _sum")),
    ("no _count", GOOD_HISTOGRAM.replace("h_seconds_count 3\n", ""), (3, "no _count")),
    ("odd sample in histogram",
     GOOD_HISTOGRAM.replace("h_seconds_sum 4.5\n", "h_seconds_sum 4.5\nh_seconds 1\n"),
     (7, "only _bucket")),
    ("le on _sum", GOOD_HISTOGRAM.replace("h_seconds_sum 4.5", 'h_seconds_sum{le="1"} 4.5'),
     (6, "le label")),
    ("summary quantile outside 0 to 1", '# HELP s S.\n# TYPE s summary\ns{quantile="2"} 1\n',
     (3, "outside")),
]


def self_test():
    failures = 0
    for name, text, expected in SELF_TESTS:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        try:
            check(data)
            got = None
        except Invalid as e:
            got = (e.line, e.message)
        if expected is None:
            ok = got is None
        else:
            ok = got is not None and got[0] == expected[0] and expected[1] in got[1]
        if not ok:
            failures += 1
            print(f"FAIL {name}: expected {expected or 'valid'}, got {got or 'valid'}")
    print(f"promcheck self-test: {len(SELF_TESTS) - failures} of {len(SELF_TESTS)} passed")
    return 0 if failures == 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default="-", help="exposition text (default: stdin)")
    parser.add_argument("--self-test", action="store_true", help="check the checker")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    source = "<stdin>" if args.file == "-" else args.file
    try:
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as f:
                data = f.read()
    except OSError as e:
        print(f"promcheck: cannot read {source}: {e.strerror}", file=sys.stderr)
        return 2
    try:
        families, samples = check(data)
    except Invalid as e:
        print(f"promcheck: {source}:{e.line}: {e.message}", file=sys.stderr)
        return 1
    print(f"promcheck: {source}: valid ({families} families, {samples} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
