import CreditKit

/// What a run or an experiment reports while it works. The library never prints: a front end
/// renders these (the command line: results on standard output, the rest on standard error, a live
/// progress line on a terminal).
public enum RunEvent: Sendable {
    /// A line about the work's state: starting, resuming, choosing settings, a divergence.
    case status(String)
    /// A line of results: an epoch's summary, a table row.
    case output(String)
    /// Progress within an epoch.
    case progress(BatchProgress)
    /// Something the user should know that does not stop the run.
    case warning(String)
}
