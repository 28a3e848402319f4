'use strict';
// Mocha's spec reporter plus the closing line CI reads: "N passed, N failed, N skipped".
// It lives in the tree because a reporter outside it cannot require('mocha').
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      // Printed after the spec epilogue so it is the last line of the run.
      process.nextTick(() => {
        process.stdout.write(`${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped\n`);
      });
    });
  }
}
module.exports = SummaryReporter;
