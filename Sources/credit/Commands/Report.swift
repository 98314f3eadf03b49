import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

/// `credit report DIR…`: one self-contained HTML page of sweeps, reproductions or runs.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML page (inline SVG and CSS, opens offline) of sweeps, reproductions or runs.",
        discussion: """
        Each folder is a sweep (its manifest.json), a folder of run directories (credit reproduce, compare), or one \
        run directory. The page has the paper-versus-ours table, learning curves as mean ± standard error over seeds, \
        each layer's angle to backprop over training, feedback-matrix statistics, coherence, the folder's pictures \
        (reconstructions), and every run's configuration.
        """)

    @Argument(help: ArgumentHelp("Sweeps, reproductions or run directories.", valueName: "dir"))
    var directories: [String]

    @Option(help: ArgumentHelp("The HTML file (default: <first dir>/report.html).", valueName: "file"))
    var out: String?

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("expected at least one sweep, reproduction or run directory") }
    }

    func run() throws {
        do {
            let parts = try directories.map(HTMLReport.load)
            let path = out ?? directories[0] + "/report.html"
            try AtomicFile.write(HTMLReport(parts: parts).html, to: path)
            Console.status("wrote \(path) (\(parts.map(\.runs.count).reduce(0, +)) runs)")
        } catch {
            throw Console.fail(error)
        }
    }
}
