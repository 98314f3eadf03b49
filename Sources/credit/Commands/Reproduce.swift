import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run a paper's experiment and print the paper's figure beside ours.",
        discussion: """
        Experiments: \(ExperimentRegistry.allNames.joined(separator: ", ")). `credit reproduce --list` \
        describes them. Every run trains into <out>/<model>-<variant>/ and is resumed if interrupted; at the \
        end a table of paper vs ours, <out>/results.csv, <out>/test-error.svg, <out>/angles.svg, and for \
        autoencoders <out>/reconstructions-<model>.png (top row: test digits; then one row per rule).
        """)

    @Argument(help: "The experiment's name.")
    var experiment: String?

    @Flag(help: "List the experiments and their runs.")
    var list = false

    @Option(help: ArgumentHelp("Comma-separated models (rows of the paper's table) to run, e.g. 2x800-tanh.", valueName: "models"))
    var models: String?

    @Option(help: ArgumentHelp("Comma-separated joints (1–7) to run, for the robot regressions.", valueName: "joints"))
    var joints: String?

    @Option(help: ArgumentHelp("Comma-separated variants (rules or settings) to run, e.g. bp,dtp-alternating; a second process "
                                   + "running the others into the same --out uses the second core.", valueName: "variants"))
    var variants: String?

    @Option(parsing: .unconditional, help: "Passes over the training set (default: the experiment's).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Run every rule with N seeds (the experiment's seed, +1, …) and report mean ± standard error over them.",
                               valueName: "N"))
    var seeds: Int = 1

    @Option(help: ArgumentHelp("The output directory (default: runs/<experiment>).", valueName: "dir"))
    var out: String?

    @Option(name: .customLong("data"), help: ArgumentHelp("A data root laid out like ../shared/data.", valueName: "dir"))
    var dataRoot: String?

    @OptionGroup var launching: ExecutorOptions

    func validate() throws {
        if list { return }
        guard let experiment else { throw ValidationError("expected an experiment name: \(ExperimentRegistry.allNames.joined(separator: ", "))") }
        if let epochs, epochs <= 0 { throw ValidationError("--epochs: expected a positive number of epochs, found '\(epochs)'") }
        guard seeds > 0 else { throw ValidationError("--seeds: expected a positive number of seeds, found '\(seeds)'") }
        if ExperimentRegistry.analysis(named: experiment) != nil {
            if models != nil || joints != nil || variants != nil || epochs != nil || seeds != 1 || launching.executor != nil {
                throw ValidationError("--models/--joints/--variants/--epochs/--seeds/--executor: \(experiment) is computed, not trained; it takes only --out")
            }
            return
        }
        guard let found = ExperimentRegistry.named(experiment) else {
            throw ValidationError("unknown experiment '\(experiment)'; expected one of \(ExperimentRegistry.allNames.joined(separator: ", "))")
        }
        if let joints {
            for part in joints.split(separator: ",", omittingEmptySubsequences: false) {
                guard let joint = Int(part.trimmingCharacters(in: .whitespaces)), (1...7).contains(joint) else {
                    throw ValidationError("--joints: expected comma-separated joints in 1…7, found '\(joints)'")
                }
            }
        }
        try Self.check("--models", chosenModels, against: found.models, of: experiment)
        try Self.check("--variants", chosenVariants, against: found.variants, of: experiment)
    }

    /// Refuses names the experiment does not have.
    private static func check(_ flag: String, _ chosen: Set<String>?, against known: [String], of experiment: String) throws {
        guard let chosen else { return }
        let unknown = chosen.subtracting(known)
        if !unknown.isEmpty {
            throw ValidationError("\(flag): unknown \(unknown.sorted().joined(separator: ", ")); \(experiment) has \(known.joined(separator: ", "))")
        }
    }

    var chosenJoints: Set<Int>? {
        joints.map { Set($0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }) }
    }

    var chosenModels: Set<String>? { models.map(Self.names) }

    var chosenVariants: Set<String>? { variants.map(Self.names) }

    private static func names(_ list: String) -> Set<String> {
        Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    func run() throws {
        if list {
            for experiment in ExperimentRegistry.all {
                Console.out("\(experiment.name) — \(experiment.source)\n  \(experiment.notes)\n  models: \(experiment.models.joined(separator: ", "))")
            }
            for analysis in ExperimentRegistry.analyses {
                Console.out("\(analysis.name) — \(analysis.source)\n  \(analysis.notes)")
            }
            return
        }
        do {
            if let analysis = ExperimentRegistry.analysis(named: experiment!) {
                try analysis.run(out ?? "runs/\(analysis.name)", Console.render)
                return
            }
            let runner = ExperimentRunner(root: out, epochs: epochs, seeds: seeds, models: chosenModels, joints: chosenJoints,
                                          variants: chosenVariants, locator: DataLocator(explicitRoot: dataRoot))
            let found = ExperimentRegistry.named(experiment!)!
            guard launching.executor != nil else {
                try runner.run(found, events: Console.render)
                return
            }
            // Through a sweep in the same folder: the runs land where a sequential reproduction puts them.
            let sweep = SweepDirectory(path: out ?? "runs/\(found.name)")
            let (manifest, specifications) = SweepManifest.of(found, runner: runner, dataRoot: dataRoot)
            try sweep.create(manifest, specifications: specifications, replacing: true)
            if try launching.launch(sweep) { try SweepCollector.collect(sweep, events: Console.render) }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Console.fail(error)
        }
    }
}
