#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

/// Where the command line writes: results to standard output, progress and errors to standard
/// error, the live progress line only when standard error is a terminal.
enum Console {
    static let isTerminal = isatty(STDERR_FILENO) != 0

    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func status(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Shows what a run or an experiment reports: results on standard output, everything else
    /// on standard error, progress as the live line.
    static func render(_ event: RunEvent) {
        switch event {
        case .status(let line):
            ProgressLine.clear()
            status(line)
        case .output(let line):
            ProgressLine.clear()
            out(line)
        case .progress(let progress): ProgressLine.draw(progress)
        case .warning(let text):
            ProgressLine.clear()
            status("warning: " + text)
        }
    }

    /// The `credit` executable running now, by its full path (what sweep workers, batch scripts
    /// and measuring child processes run).
    static var executable: String {
        let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        if FileManager.default.isExecutableFile(atPath: link), link != "/proc/self/exe" { return link }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    /// Reports a user-facing failure in one line and exits non-zero.
    static func fail(_ error: any Error) -> ExitCode {
        ProgressLine.clear()
        status("error: " + FlagNames.message(error))
        return error is ConfigurationError || error is ValidationError ? ExitCode.validationFailure : ExitCode.failure
    }
}

/// The live `epoch … batch … loss … samples/s … ETA` line, redrawn in place at most 10 times a second.
enum ProgressLine {
    nonisolated(unsafe) private static var lastDraw: UInt64 = 0
    nonisolated(unsafe) private static var visible = false

    static func draw(_ p: BatchProgress) {
        guard Console.isTerminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 100_000_000 || p.batch == p.batches else { return }
        lastDraw = now
        let line = String(format: "epoch %d/%d  batch %d/%d  loss %.4f  %@ samples/s  ETA %@",
                          p.epoch, p.epochs, p.batch, p.batches, p.loss, grouped(p.samplesPerSecond), duration(p.secondsRemaining))
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
        visible = true
    }

    static func clear() {
        guard visible else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        visible = false
    }
}

func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
