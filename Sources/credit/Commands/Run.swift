import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

/// `credit run SPEC`: one run of a sweep, as a cluster task or a local worker runs it.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one run specification (a sweep's specs/<id>.json) into its run directory; resume it if it was interrupted.",
        discussion: """
        The spec is a RunSpecification in JSON ({"model": "feed-forward" or "recurrent", "configuration": {…}}). \
        A spec inside a sweep (DIR/specs/<id>.json) trains into the directory its manifest names; elsewhere --out \
        says where. A run that stops with an error leaves failed.txt in its directory (and exits non-zero); one \
        that diverges leaves diverged.txt (and exits 0: divergence is a result).
        """)

    @Argument(help: ArgumentHelp("The run specification (JSON).", valueName: "spec"))
    var spec: String

    @Option(help: ArgumentHelp("The run directory (default: the one its sweep's manifest names).", valueName: "dir"))
    var out: String?

    @Option(name: .customLong("data"), help: ArgumentHelp("A data root laid out like ../shared/data.", valueName: "dir"))
    var dataRoot: String?

    func run() throws {
        let located = SweepDirectory.locate(specPath: spec)
        guard let directory = out.map({ RunDirectory(path: $0) }) ?? located.map({ $0.0.runDirectory($0.1) }) else {
            Console.status("error: \(spec): not inside a sweep (DIR/specs/<id>.json with DIR/manifest.json); give --out")
            throw ExitCode.validationFailure
        }
        // A new attempt: the last one's failure no longer stands.
        try? FileManager.default.removeItem(atPath: directory.failurePath)
        do {
            let specification = try SweepDirectory.readSpecification(at: spec)
            let root = dataRoot ?? located.flatMap { try? $0.0.readManifest().dataRoot }
            let label = located.map { "\($0.1.id) \($0.1.model) \($0.1.variant) seed \($0.1.seed)" }
            switch specification {
            case .feedForward(let configuration):
                let data = try DatasetCatalog.load(configuration.dataset, locator: DataLocator(explicitRoot: root))
                try RunSession.run(configuration, data: data, in: directory, label: label, stopOnDivergence: true, events: Console.render)
            case .recurrent(let configuration):
                try RunSession.run(configuration, in: directory, label: label, stopOnDivergence: true, events: Console.render)
            }
        } catch {
            let exit = Console.fail(error)
            // Another process writing this run is not this run's failure.
            if !directory.isBeingWritten {
                try? FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
                try? AtomicFile.write(FlagNames.message(error) + "\n", to: directory.failurePath)
            }
            throw exit
        }
    }
}
