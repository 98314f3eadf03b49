import CreditKit
import Foundation

/// What a sweep is: its runs, where each came from, and how it was launched. Written once when
/// the sweep is made and again (atomically) at each submission; the runs themselves never write it.
public struct SweepManifest: Codable, Sendable, Equatable {
    /// One run of the sweep.
    public struct Entry: Codable, Sendable, Equatable {
        /// `0001`, `0002`, …: the spec's file name and the Slurm array index.
        public var id: String
        /// The row of the table it belongs to (an experiment's model, or `grid`).
        public var model: String
        /// The column: an experiment's variant, or the grid point (`lr=0.01 rule=fa`).
        public var variant: String
        /// Its seed.
        public var seed: UInt64
        /// Epochs the run trains.
        public var epochs: Int
        /// Its run directory, relative to the sweep's.
        public var directory: String
        /// The paper's figure for the run, in the sweep's measure.
        public var paperFigure: Double?
        /// Where the paper's figure comes from.
        public var paperNote: String?

        /// The Slurm array index: the id as a number.
        public var index: Int { Int(id) ?? 0 }

        public init(id: String, model: String, variant: String, seed: UInt64, epochs: Int, directory: String, paperFigure: Double? = nil,
                    paperNote: String? = nil) {
            self.id = id
            self.model = model
            self.variant = variant
            self.seed = seed
            self.epochs = epochs
            self.directory = directory
            self.paperFigure = paperFigure
            self.paperNote = paperNote
        }
    }

    /// One launch of some of the runs.
    public struct Submission: Codable, Sendable, Equatable {
        /// `local:N` or `slurm`.
        public var executor: String
        /// The scheduler's job id (Slurm).
        public var jobID: String?
        /// The runs it launched.
        public var ids: [String]
        /// When, ISO 8601.
        public var date: String

        public init(executor: String, jobID: String?, ids: [String], date: String) {
            self.executor = executor
            self.jobID = jobID
            self.ids = ids
            self.date = date
        }
    }

    /// The experiment's name, or `grid`.
    public var name: String
    /// The paper and figure, or the grid's description.
    public var source: String
    /// What it shows.
    public var notes: String
    /// Whether the table reports the test loss rather than the test error.
    public var measuresLoss: Bool
    /// Horizontal reference lines on the loss chart.
    public var referenceLosses: [ReferenceLoss]
    /// The data root every run reads (`--data`), when one was given.
    public var dataRoot: String?
    /// Every run, in order.
    public var entries: [Entry]
    /// Every launch, in order.
    public var submissions: [Submission] = []

    /// A named loss level.
    public struct ReferenceLoss: Codable, Sendable, Equatable {
        public var name: String
        public var value: Double

        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }
    }

    /// The manifest of `entries`.
    public init(name: String, source: String, notes: String, measuresLoss: Bool, referenceLosses: [ReferenceLoss], dataRoot: String?,
                entries: [Entry]) {
        self.name = name
        self.source = source
        self.notes = notes
        self.measuresLoss = measuresLoss
        self.referenceLosses = referenceLosses
        self.dataRoot = dataRoot
        self.entries = entries
    }
}

/// Where a run of a sweep stands, read from its run directory (and the scheduler, for Slurm).
public enum RunState: Sendable, Equatable {
    /// Not started, or queued.
    case pending
    /// A process holds its directory (or the scheduler says it runs).
    case running
    /// Every epoch finished.
    case done
    /// Stopped by its own error (the message), or ended before its last epoch.
    case failed(String)
    /// Its loss stopped being finite; the run ends there by design.
    case diverged(String)

    /// `pending`, `running`, `done`, `failed` or `diverged`.
    public var name: String {
        switch self {
        case .pending: "pending"
        case .running: "running"
        case .done: "done"
        case .failed: "failed"
        case .diverged: "diverged"
        }
    }

    /// Whether `resume` runs it again: it has not finished and nothing is running it.
    public var needsRun: Bool {
        switch self {
        case .pending, .failed: true
        case .running, .done, .diverged: false
        }
    }
}

/// A sweep on disk:
///
///     DIR/manifest.json     the runs and their launches (``SweepManifest``)
///     DIR/specs/0001.json   one ``RunSpecification`` per run: what `credit run` trains
///     DIR/<run directory>   each run's own directory, written only by that run
///     DIR/logs/0001.log     each task's output
///     DIR/sweep.sbatch      the batch script, once submitted to Slurm
public struct SweepDirectory: Sendable {
    /// The sweep's folder.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var manifestPath: String { path + "/manifest.json" }
    public var scriptPath: String { path + "/sweep.sbatch" }
    public func specPath(_ id: String) -> String { path + "/specs/\(id).json" }
    public func logPath(_ id: String) -> String { path + "/logs/\(id).log" }
    public func runDirectory(_ entry: SweepManifest.Entry) -> RunDirectory { RunDirectory(path: path + "/" + entry.directory) }

    /// Whether `path` holds a sweep.
    public var exists: Bool { FileManager.default.fileExists(atPath: manifestPath) }

    /// Writes every spec and the manifest (specs first, so that a manifest never names a missing
    /// spec). A folder that holds another sweep is refused, unless `replacing` (a reproduction
    /// planned again with other choices: its runs keep their directories); the same sweep again is
    /// left as it is.
    public func create(_ manifest: SweepManifest, specifications: [RunSpecification], replacing: Bool = false) throws {
        precondition(manifest.entries.count == specifications.count)
        var manifest = manifest
        if exists {
            let existing = try readManifest()
            if existing.entries == manifest.entries { return }
            guard replacing else {
                throw TrainingError.output(file: manifestPath, reason: "holds another sweep; choose another --out, or `credit sweep resume \(path)`")
            }
            manifest.submissions = existing.submissions
        }
        for folder in ["specs", "logs"] {
            try FileManager.default.createDirectory(atPath: path + "/" + folder, withIntermediateDirectories: true)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        for (entry, specification) in zip(manifest.entries, specifications) {
            try AtomicFile.write(encoder.encode(specification), to: specPath(entry.id))
        }
        try writeManifest(manifest)
    }

    /// The manifest; errors name the file.
    public func readManifest() throws -> SweepManifest {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: manifestPath)) } catch {
            throw TrainingError.output(file: manifestPath, reason: "no sweep here (\(error.localizedDescription))")
        }
        do { return try JSONDecoder().decode(SweepManifest.self, from: data) } catch {
            throw TrainingError.checkpoint(file: manifestPath, reason: "is not a sweep manifest: \(error)")
        }
    }

    /// Replaces the manifest atomically.
    public func writeManifest(_ manifest: SweepManifest) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(manifest), to: manifestPath)
    }

    /// The spec of run `id`; errors name the file and what is wrong with it.
    public func readSpecification(_ id: String) throws -> RunSpecification {
        try Self.readSpecification(at: specPath(id))
    }

    /// The spec at `path`; errors name the file and what is wrong with it.
    public static func readSpecification(at path: String) throws -> RunSpecification {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TrainingError.output(file: path, reason: "cannot read the run specification (\(error.localizedDescription))")
        }
        do { return try JSONDecoder().decode(RunSpecification.self, from: data) } catch let error as DecodingError {
            throw TrainingError.checkpoint(file: path, reason: "is not a run specification: \(Self.describe(error))")
        } catch {
            throw TrainingError.checkpoint(file: path, reason: "is not a run specification: \(error)")
        }
    }

    /// A decoding error as one line: the field's path and what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context): return "\(context.debugDescription) at \(at(context.codingPath))"
        case .keyNotFound(let key, let context): return "\(at(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context): return "\(at(context.codingPath)) is not a \(type)"
        case .valueNotFound(let type, let context): return "\(at(context.codingPath)) has no \(type) value"
        @unknown default: return "\(error)"
        }
    }

    /// The sweep and entry that the spec at `specPath` (`DIR/specs/<id>.json`) belongs to, if any.
    public static func locate(specPath: String) -> (SweepDirectory, SweepManifest.Entry)? {
        let url = URL(fileURLWithPath: specPath)
        let id = url.deletingPathExtension().lastPathComponent
        let folder = url.deletingLastPathComponent()
        guard folder.lastPathComponent == "specs" else { return nil }
        let sweep = SweepDirectory(path: folder.deletingLastPathComponent().path)
        guard let manifest = try? sweep.readManifest(), let entry = manifest.entries.first(where: { $0.id == id }) else { return nil }
        return (sweep, entry)
    }

    /// Where `entry` stands on disk: diverged, failed (its `failed.txt`), running (a process holds
    /// its lock), done (its summary has every epoch), failed (ended before its last epoch: a kill),
    /// or pending. `queued` are the runs the scheduler still holds, `active` those it runs.
    public func state(of entry: SweepManifest.Entry, queued: Set<String> = [], active: Set<String> = []) -> RunState {
        let run = runDirectory(entry)
        let files = FileManager.default
        if let reason = try? String(contentsOfFile: run.divergencePath, encoding: .utf8) { return .diverged(reason) }
        if active.contains(entry.id) || run.isBeingWritten { return .running }
        if queued.contains(entry.id) { return .pending }
        if let reason = try? String(contentsOfFile: run.failurePath, encoding: .utf8) {
            return .failed(reason.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if let data = try? Data(contentsOf: URL(fileURLWithPath: run.summaryPath)),
           let summary = try? JSONDecoder().decode(RunDirectory.Summary.self, from: data) {
            if summary.epochsCompleted >= entry.epochs { return .done }
            return .failed("stopped after epoch \(summary.epochsCompleted) of \(entry.epochs) (killed?); resume continues it")
        }
        if files.fileExists(atPath: run.configurationPath) || files.fileExists(atPath: logPath(entry.id)) {
            return .failed("stopped in its first epoch (killed?); resume starts it again")
        }
        return .pending
    }

    /// Every finished epoch of `entry`'s run, from its checkpoint (none before its first epoch).
    public func history(of entry: SweepManifest.Entry) -> [EpochRecord] {
        (try? Checkpoint.read(from: runDirectory(entry).checkpointPath).history) ?? []
    }
}

/// How many runs of a sweep are in each state.
public struct SweepTally: Sendable, Equatable {
    public var pending = 0, running = 0, done = 0, failed = 0, diverged = 0

    public init(_ states: [RunState]) {
        for state in states {
            switch state {
            case .pending: pending += 1
            case .running: running += 1
            case .done: done += 1
            case .failed: failed += 1
            case .diverged: diverged += 1
            }
        }
    }

    /// Runs that have ended, one way or another.
    public var finished: Int { done + failed + diverged }
    /// `3 done, 2 running, 0 failed, 0 diverged, 3 pending`.
    public var description: String {
        "\(done) done, \(running) running, \(failed) failed, \(diverged) diverged, \(pending) pending"
    }
}
