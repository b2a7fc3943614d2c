"""TAP output for the Python test runners (run_*.py). A runner makes one Tap with its number of
tests, which prints the plan "1..N", then reports each test in order:

    tap = taplib.Tap(len(decks))
    tap.result("deck.cir", problems)            # "ok 1 - deck.cir", or "not ok 1 - deck.cir"
                                                # and each problem as "#   " lines under it
    tap.result("deck.cir", note=" (4 levels)")  # "ok 2 - deck.cir (4 levels)"
    tap.skip("deck.cir", "no dual")             # "ok 3 - deck.cir # SKIP no dual"
    tap.fail("deck.cir: crashed")               # "not ok 4 - deck.cir: crashed"
    return tap.exit_code()                      # 1 if a test failed, else 0

Every line is flushed at once, so a runner that stops half-way still leaves its results."""


class Tap:
    def __init__(self, count):
        self.count = 0
        self.failed = 0
        self._print("1..%d" % count)

    def _print(self, line):
        print(line, flush=True)

    def result(self, label, problems=(), note=""):
        """The next test: passed when `problems` (strings, each possibly multi-line) is empty;
        `note` is appended to the label on an ok line."""
        if problems:
            self.fail(label, problems)
        else:
            self.count += 1
            self._print("ok %d - %s%s" % (self.count, label, note))

    def fail(self, label, problems=()):
        """The next test, failed; each line of each problem follows as a "#   " line."""
        self.count += 1
        self.failed += 1
        self._print("not ok %d - %s" % (self.count, label))
        for p in problems:
            for line in p.split("\n"):
                self._print("#   " + line)

    def skip(self, label, why):
        """The next test, skipped (counts as passed)."""
        self.count += 1
        self._print("ok %d - %s # SKIP %s" % (self.count, label, why))

    def exit_code(self):
        """The runner's exit status: 1 if a test failed, else 0."""
        return 1 if self.failed else 0
