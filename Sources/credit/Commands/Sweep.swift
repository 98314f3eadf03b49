import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

/// `credit sweep`: many runs written out as specs, launched on this machine or on Slurm, watched,
/// resumed and collected into one table.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run many trainings — an experiment, or a grid over train's flags — locally in parallel or as a Slurm job array.",
        discussion: """
        credit sweep NAME --out DIR                     every run of an experiment (like reproduce), with --seeds, --models, --variants
        credit sweep --grid lr=0.01,0.05 --grid rule=fa,dfa --seeds 2 --out DIR [train's flags …]
        credit sweep --sample lr=log:1e-3:1e-1 --samples 8 --out DIR [train's flags …]

        Each run becomes DIR/specs/<id>.json and trains into its own directory (DIR/<model>-<variant> for an \
        experiment, DIR/runs/<id> for a grid) with `credit run`; DIR/manifest.json lists them. Then: \
        `credit sweep status DIR`, `credit sweep resume DIR` (only what is missing or failed), `credit sweep collect DIR` \
        (the table, results.csv and charts reproduce makes).
        """,
        subcommands: [Launch.self, Status.self, Resume.self, Collect.self],
        defaultSubcommand: Launch.self)
}

/// Where and how a sweep's runs are launched.
struct ExecutorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("local[:N]: N processes on this machine (default: one per core), each with its share of the cores "
                               + "as BLAS threads; slurm: one job array through sbatch.", valueName: "executor"))
    var executor: String?

    @Option(name: .customLong("slurm-option"), help: ArgumentHelp("An sbatch option for every task, e.g. --slurm-option partition=short "
                                                                  + "--slurm-option time=2:00:00 --slurm-option cpus-per-task=2 (repeatable).",
                                                                  valueName: "option"))
    var slurmOptions: [String] = []

    @Option(name: .customLong("max-concurrent"), parsing: .unconditional,
            help: ArgumentHelp("Slurm: at most K tasks of the array at once (--array=…%K).", valueName: "K"))
    var maxConcurrent: Int?

    @Flag(help: "Slurm: wait for the job array to finish, then collect (local sweeps always wait).")
    var wait = false

    enum Kind: Equatable { case local(workers: Int), slurm }

    /// The executor these flags name; `fallback` (a sweep's last one) when none is given.
    func kind(fallback: String? = nil) throws -> Kind {
        let text = executor ?? fallback ?? "local"
        if text == "slurm" {
            guard SlurmExecutor.isAvailable else {
                throw ValidationError("--executor: slurm needs sbatch on the PATH (not found); use --executor local[:N]")
            }
            return .slurm
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard text == "local" || text.hasPrefix("local:") else {
            throw ValidationError("--executor: expected local, local:N or slurm, found '\(text)'")
        }
        guard text != "local" else { return .local(workers: cores) }
        guard let workers = Int(text.dropFirst(6)), workers > 0 else {
            throw ValidationError("--executor: expected local:N with N ≥ 1 processes, found '\(text)'")
        }
        return .local(workers: workers)
    }

    func validate() throws {
        if let maxConcurrent, maxConcurrent <= 0 { throw ValidationError("--max-concurrent: expected a positive number, found '\(maxConcurrent)'") }
        let kind = try kind()
        if kind != .slurm, !slurmOptions.isEmpty || maxConcurrent != nil || wait {
            throw ValidationError("--slurm-option/--max-concurrent/--wait: only with --executor slurm")
        }
    }

    /// Launches the runs of `sweep` that need it (every one not done, running, queued or diverged)
    /// on this executor, or `fallback` (the sweep's last) when none is given: a local sweep runs to
    /// the end, a Slurm sweep is submitted (and with `--wait` watched to the end). Returns whether
    /// every run has ended.
    @discardableResult
    func launch(_ sweep: SweepDirectory, fallback: String? = nil) throws -> Bool {
        var manifest = try sweep.readManifest()
        let queue = SlurmExecutor.queue(of: manifest)
        let ids = manifest.entries.filter { sweep.state(of: $0, queued: queue.queued, active: queue.active).needsRun }.map(\.id)
        let extra = manifest.dataRoot.map { ["--data", $0] } ?? []
        guard !ids.isEmpty else {
            Console.status("\(sweep.path): nothing to run (\(SweepTally(manifest.entries.map { sweep.state(of: $0, queued: queue.queued, active: queue.active) }).description))")
            return queue.queued.isEmpty && queue.active.isEmpty
        }
        switch try kind(fallback: fallback) {
        case .local(let workers):
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let executor = LocalExecutor(executable: Console.executable, workers: workers, threadsPerWorker: max(1, cores / workers),
                                         extraArguments: extra)
            manifest.submissions.append(.init(executor: "local:\(workers)", jobID: nil, ids: ids, date: ISO8601DateFormatter().string(from: Date())))
            try sweep.writeManifest(manifest)
            Console.status("\(sweep.path): \(ids.count) runs on \(workers) local process\(workers == 1 ? "" : "es"), "
                           + "\(max(1, cores / workers)) BLAS thread\(cores / workers > 1 ? "s" : "") each; logs in \(sweep.path)/logs")
            let start = Date()
            try executor.run(sweep, manifest: manifest, ids: ids, progress: SweepLine.draw)
            SweepLine.finish(Date().timeIntervalSince(start))
            return true
        case .slurm:
            let executor = SlurmExecutor(executable: Console.executable, options: slurmOptions, concurrency: maxConcurrent, extraArguments: extra)
            let job = try executor.submit(sweep, manifest: manifest, ids: ids)
            Console.status("\(sweep.path): submitted job array \(job) (\(ids.count) tasks) with \(sweep.scriptPath); "
                           + "`credit sweep status \(sweep.path)`")
            guard wait else { return false }
            let start = Date()
            while true {
                let manifest = try sweep.readManifest()
                let queue = SlurmExecutor.queue(of: manifest)
                let tally = SweepTally(manifest.entries.map { sweep.state(of: $0, queued: queue.queued, active: queue.active) })
                SweepLine.draw(SweepProgress(tally: tally, secondsLeft: nil))
                if queue.queued.isEmpty && queue.active.isEmpty && tally.running == 0 { break }
                Thread.sleep(forTimeInterval: 1)
            }
            SweepLine.finish(Date().timeIntervalSince(start))
            return true
        }
    }
}

/// `3 done, 2 running, 0 failed, 0 diverged, 3 pending — ETA 1:20` on one updating line on a
/// terminal, a plain line at each change otherwise.
enum SweepLine {
    nonisolated(unsafe) private static var last = ""

    static func draw(_ progress: SweepProgress) {
        let line = "sweep: " + progress.tally.description + (progress.secondsLeft.map { " — ETA " + duration($0) } ?? "")
        if Console.isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
        } else if progress.tally.description != last {
            Console.status(line)
        }
        last = progress.tally.description
    }

    static func finish(_ seconds: Double) {
        if Console.isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        Console.status("sweep: \(last) after \(duration(seconds))")
    }
}

extension Sweep {
    /// Makes a sweep and launches it.
    struct Launch: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "launch", abstract: "Make a sweep and launch it (the default).")


        @Option(help: ArgumentHelp("A grid axis: a flag of `credit train` without its dashes and its values, comma-separated "
                                   + "(| when the values hold commas: layers=64,64|128). Repeatable; the grid is every combination.",
                                   valueName: "flag=values"))
        var grid: [String] = []

        @Option(help: ArgumentHelp("A random-search axis: flag=low:high (uniform) or flag=log:low:high (log-uniform). Repeatable; "
                                   + "--samples points are drawn from the seed.", valueName: "flag=range"))
        var sample: [String] = []

        @Option(parsing: .unconditional, help: ArgumentHelp("Points drawn for --sample (default 8).", valueName: "N"))
        var samples: Int?

        @Option(parsing: .unconditional, help: ArgumentHelp("Every run with N seeds (its seed, +1, …).", valueName: "N"))
        var seeds: Int = 1

        @Option(parsing: .unconditional, help: "Epochs of every run (default: the experiment's; a grid's 20).")
        var epochs: Int?

        @Option(help: ArgumentHelp("An experiment's models to run, comma-separated.", valueName: "models"))
        var models: String?

        @Option(help: ArgumentHelp("An experiment's variants to run, comma-separated.", valueName: "variants"))
        var variants: String?

        @Option(help: ArgumentHelp("The sweep directory (default: runs/sweep-<experiment or grid>-<time>).", valueName: "dir"))
        var out: String?

        @Option(name: .customLong("data"), help: ArgumentHelp("A data root laid out like ../shared/data.", valueName: "dir"))
        var dataRoot: String?

        @Flag(name: .customLong("dry-run"), help: "Write the specs and the manifest, launch nothing (`credit sweep resume DIR` launches them).")
        var dryRun = false

        @OptionGroup var launching: ExecutorOptions

        // One list, so that a flag's value (`--layers 16`) is never taken for the experiment's name.
        @Argument(parsing: .allUnrecognized,
                  help: ArgumentHelp("An experiment of `credit reproduce --list`, or a grid's fixed flags of `credit train` (--dataset, --layers, …).",
                                     valueName: "experiment | flags"))
        var words: [String] = []

        /// The experiment named first, if the words start with one.
        var experiment: String? { words.first.flatMap { $0.hasPrefix("-") ? nil : $0 } }

        /// The fixed flags of a grid.
        var trainArguments: [String] { experiment == nil ? words : Array(words.dropFirst()) }

        func validate() throws {
            guard seeds > 0 else { throw ValidationError("--seeds: expected a positive number of seeds, found '\(seeds)'") }
            if let epochs, epochs <= 0 { throw ValidationError("--epochs: expected a positive number of epochs, found '\(epochs)'") }
            if let samples, samples <= 0 { throw ValidationError("--samples: expected a positive number of points, found '\(samples)'") }
            if samples != nil && sample.isEmpty { throw ValidationError("--samples: only with --sample flag=range") }
            if let experiment {
                guard ExperimentRegistry.named(experiment) != nil else {
                    throw ValidationError("unknown experiment '\(experiment)'; expected one of \(ExperimentRegistry.all.map(\.name).joined(separator: ", "))")
                }
                if !grid.isEmpty || !sample.isEmpty || !trainArguments.isEmpty {
                    throw ValidationError("--grid/--sample/\(trainArguments.first ?? "train's flags"): a sweep of an experiment takes its runs "
                                          + "from the experiment; choose them with --models, --variants, --seeds, --epochs")
                }
            } else {
                guard !grid.isEmpty || !sample.isEmpty else {
                    throw ValidationError("expected an experiment name, or a grid (--grid flag=values) or a random search (--sample flag=range)")
                }
                if models != nil || variants != nil { throw ValidationError("--models/--variants: only with an experiment") }
                _ = try GridSweep(grid: grid, sample: sample, samples: samples ?? 8, base: trainArguments).points(seed: 1)
            }
        }

        func run() throws {
            do {
                let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
                let sweep = SweepDirectory(path: out ?? "runs/sweep-\(experiment ?? "grid")-\(stamp)")
                let (manifest, specifications) = try plan()
                try sweep.create(manifest, specifications: specifications)
                Console.status("\(sweep.path): \(manifest.entries.count) runs — \(manifest.source)")
                if dryRun {
                    Console.status("\(sweep.path): specs written to \(sweep.path)/specs; launch them with `credit sweep resume \(sweep.path)`")
                    return
                }
                if try launching.launch(sweep) { try SweepCollector.collect(sweep, events: Console.render) }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw Console.fail(error)
            }
        }

        /// The manifest and specs of the experiment or the grid.
        func plan() throws -> (SweepManifest, [RunSpecification]) {
            if let experiment {
                let runner = ExperimentRunner(epochs: epochs, seeds: seeds, models: models.map(Self.names), variants: variants.map(Self.names))
                let found = ExperimentRegistry.named(experiment)!
                if let chosen = variants.map(Self.names), !chosen.isSubset(of: Set(found.variants)) {
                    throw ValidationError("--variants: unknown \(chosen.subtracting(found.variants).sorted().joined(separator: ", ")); "
                                          + "\(experiment) has \(found.variants.joined(separator: ", "))")
                }
                return SweepManifest.of(found, runner: runner, dataRoot: dataRoot)
            }
            let sweep = GridSweep(grid: grid, sample: sample, samples: samples ?? 8, base: trainArguments)
            var entries: [SweepManifest.Entry] = [], specifications: [RunSpecification] = []
            for (label, configuration) in try sweep.points(seed: 1) {
                for s in 0..<seeds {
                    var configuration = configuration
                    configuration.epochs = epochs ?? Train.defaultEpochs
                    configuration.seed += UInt64(s)
                    let id = String(format: "%04d", entries.count + 1)
                    entries.append(.init(id: id, model: "grid", variant: label, seed: configuration.seed, epochs: configuration.epochs,
                                         directory: "runs/\(id)"))
                    specifications.append(.feedForward(configuration))
                }
            }
            let description = (grid.map { "--grid " + $0 } + sample.map { "--sample " + $0 }).joined(separator: " ")
            let manifest = SweepManifest(name: "grid", source: "grid \(description)", notes: "fixed flags: \(trainArguments.joined(separator: " "))",
                                         measuresLoss: specifications.first?.feedForward?.autoencoder == true, referenceLosses: [],
                                         dataRoot: dataRoot, entries: entries)
            return (manifest, specifications)
        }

        private static func names(_ list: String) -> Set<String> {
            Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
    }

    /// Prints where every run stands.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every run of a sweep: pending, running, done, failed or diverged.")

        @Argument(help: ArgumentHelp("The sweep directory.", valueName: "dir"))
        var directory: String

        func run() throws {
            do {
                let sweep = SweepDirectory(path: directory)
                let manifest = try sweep.readManifest()
                let queue = SlurmExecutor.queue(of: manifest)
                var states: [RunState] = []
                for entry in manifest.entries {
                    let state = sweep.state(of: entry, queued: queue.queued, active: queue.active)
                    states.append(state)
                    let epochs = (try? JSONDecoder().decode(RunDirectory.Summary.self,
                                                            from: Data(contentsOf: URL(fileURLWithPath: sweep.runDirectory(entry).summaryPath))))?
                        .epochsCompleted ?? 0
                    var detail = ""
                    if case .failed(let reason) = state { detail = "  " + reason }
                    if case .diverged(let reason) = state { detail = "  " + reason }
                    Console.out(entry.id + "  " + entry.model.padding(toLength: 16, withPad: " ", startingAt: 0)
                                + entry.variant.padding(toLength: 24, withPad: " ", startingAt: 0) + "seed \(entry.seed)".padding(toLength: 10, withPad: " ", startingAt: 0)
                                + state.name.padding(toLength: 10, withPad: " ", startingAt: 0) + "\(epochs)/\(entry.epochs) epochs" + detail)
                }
                let jobs = manifest.submissions.compactMap(\.jobID)
                Console.out(SweepTally(states).description + (jobs.isEmpty ? "" : "; Slurm jobs \(jobs.joined(separator: ", "))"))
            } catch {
                throw Console.fail(error)
            }
        }
    }

    /// Launches what is missing or failed.
    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Launch again only the runs of a sweep that are missing or failed; a killed run continues from its checkpoint.")

        @Argument(help: ArgumentHelp("The sweep directory.", valueName: "dir"))
        var directory: String

        @OptionGroup var launching: ExecutorOptions

        func run() throws {
            do {
                let sweep = SweepDirectory(path: directory)
                let last = try sweep.readManifest().submissions.last?.executor
                if try launching.launch(sweep, fallback: last == "slurm" ? "slurm" : nil) {
                    try SweepCollector.collect(sweep, events: Console.render)
                }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw Console.fail(error)
            }
        }
    }

    /// The tables and charts over whatever has finished.
    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the table, results.csv, feedback.csv and charts of a sweep's finished runs (what reproduce writes).")

        @Argument(help: ArgumentHelp("The sweep directory.", valueName: "dir"))
        var directory: String

        func run() throws {
            do {
                try SweepCollector.collect(SweepDirectory(path: directory), events: Console.render)
            } catch {
                throw Console.fail(error)
            }
        }
    }
}
