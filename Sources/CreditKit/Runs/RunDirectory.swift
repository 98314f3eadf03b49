import Foundation

/// The folder a training run writes: `config.json`, `metrics.csv`, `summary.json`,
/// `checkpoint.bin` and `curves.svg`. Every file is replaced atomically after each epoch, so an
/// interrupted run keeps everything up to its last finished epoch and `--resume` continues it.
public struct RunDirectory: Sendable {
    /// The directory.
    public let path: String

    /// The run directory at `path` (not created until ``create()``).
    public init(path: String) {
        self.path = path
    }

    /// `config.json`: the configuration and where the run ran.
    public var configurationPath: String { path + "/config.json" }
    /// `metrics.csv`: one row per epoch.
    public var metricsPath: String { path + "/metrics.csv" }
    /// Every probe measurement (`--probe-every`), one row per sample.
    public var diagnosticsPath: String { path + "/diagnostics.csv" }
    /// `summary.json`: final and best figures.
    public var summaryPath: String { path + "/summary.json" }
    /// `checkpoint.bin`: the trained state.
    public var checkpointPath: String { path + "/checkpoint.bin" }
    /// `curves.svg`: the learning curves.
    public var curvesPath: String { path + "/curves.svg" }
    /// Written when a run stopped because its loss stopped being finite (what `reproduce` does
    /// instead of failing): the divergence, so that a rerun reports it rather than retrains.
    public var divergencePath: String { path + "/diverged.txt" }

    /// What `config.json` records: the configuration, and the facts that make the run repeatable.
    public struct RecordedConfiguration<Configuration: RunConfiguration>: Codable, Sendable {
        /// The run's configuration.
        public var configuration: Configuration
        /// The model, its rule, optimizer and data, as the run's log names them.
        public var model: String
        /// Trainable parameters.
        public var parameters: Int
        /// The BLAS (or portable kernel) that ran the products.
        public var backend: String
        /// The library file loaded.
        public var backendLibrary: String?
        /// OpenBLAS's kernel family.
        public var coreType: String?
        /// The threads the BLAS uses for one product: results are bit-identical only for the same
        /// backend, core type and thread count.
        public var threads: Int?
        /// The version that wrote the run.
        public var creditKitVersion: String
    }

    /// `failed.txt`: why the last attempt at the run stopped with an error (`credit run` writes
    /// it, a new attempt removes it).
    public var failurePath: String { path + "/failed.txt" }

    /// `.lock`: held (`flock`) by the one process writing the run.
    var lockPath: String { path + "/.lock" }

    /// Whether a process holds the run's lock now (it is training).
    public var isBeingWritten: Bool {
        let descriptor = open(lockPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// Takes the run's advisory lock for as long as the returned value lives (the system drops it
    /// when the process ends, however it ends), then removes the temporary files a killed writer
    /// left. A second process writing the same directory is refused.
    public func lock() throws(TrainingError) -> RunLock {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .output(file: lockPath, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(descriptor, &buffer, buffer.count)
            close(descriptor)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw .output(file: path, reason: "another credit process (pid \(holder)) is writing this run; wait for it to finish, "
                          + "or choose another --out")
        }
        ftruncate(descriptor, 0)
        let pid = "\(ProcessInfo.processInfo.processIdentifier)\n"
        _ = pid.withCString { Foundation.write(descriptor, $0, strlen($0)) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        where name.hasPrefix(AtomicFile.temporaryPrefix) && name.hasSuffix(AtomicFile.temporarySuffix) {
            try? FileManager.default.removeItem(atPath: path + "/" + name)
        }
        return RunLock(descriptor: descriptor)
    }

    /// A new directory at `base`, or `base-2`, `base-3`, … when that exists: created atomically,
    /// so two runs started in the same second never share one.
    public static func createUnique(base: String) throws(TrainingError) -> RunDirectory {
        let parent = URL(fileURLWithPath: base).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw .output(file: parent, reason: error.localizedDescription)
        }
        for n in 1...10_000 {
            let candidate = n == 1 ? base : "\(base)-\(n)"
            if mkdir(candidate, 0o755) == 0 { return RunDirectory(path: candidate) }
            guard errno == EEXIST else { throw .output(file: candidate, reason: String(cString: strerror(errno))) }
        }
        throw .output(file: base, reason: "10,000 directories of this name exist already")
    }

    /// Creates the directory (and its parents).
    public func create() throws(TrainingError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .output(file: path, reason: error.localizedDescription)
        }
    }

    /// Writes `config.json` for `trainer`, atomically.
    public func writeConfiguration<Model>(of trainer: Trainer<Model>) throws(TrainingError) {
        let backend = trainer.model.backend
        let recorded = RecordedConfiguration(
            configuration: trainer.configuration, model: trainer.model.summary,
            parameters: trainer.model.parameters.reduce(0) { $0 + $1.value.count },
            backend: backend.name, backendLibrary: backend.libraryPath, coreType: backend.coreType, threads: backend.threads,
            creditKitVersion: CreditKit.version)
        try write(json: recorded, to: configurationPath)
    }

    /// The configuration `config.json` records, read as a `Configuration` (a feed-forward run's
    /// ``TrainingConfiguration`` unless told otherwise).
    public func readConfiguration<Configuration: RunConfiguration>(as type: Configuration.Type = TrainingConfiguration.self)
        throws(TrainingError) -> Configuration {
        guard let data = FileManager.default.contents(atPath: configurationPath) else {
            throw .checkpoint(file: configurationPath, reason: "not found; is \(path) a run directory written by `credit train --out`?")
        }
        do {
            return try JSONDecoder().decode(RecordedConfiguration<Configuration>.self, from: data).configuration
        } catch {
            throw .checkpoint(file: configurationPath, reason: "unreadable: \(error)")
        }
    }

    /// Whether `config.json` records a run of `Configuration` (a feed-forward or a recurrent run).
    public func holds<Configuration: RunConfiguration>(_ type: Configuration.Type) -> Bool {
        (try? readConfiguration(as: type)) != nil
    }

    /// Writes everything that changes per epoch: the checkpoint first — it is the commit point —,
    /// then the reports derived from it. A run killed between the two leaves reports one epoch
    /// behind its checkpoint; ``writeReports(of:)`` on resume brings them level.
    public func recordEpoch<Model>(of trainer: Trainer<Model>) throws(TrainingError) {
        try trainer.checkpoint.write(to: checkpointPath)
        try writeReports(of: trainer)
    }

    /// Writes metrics, diagnostics, summary and curves from the trainer's history.
    public func writeReports<Model>(of trainer: Trainer<Model>) throws(TrainingError) {
        let rows = [EpochRecord.csvHeader(diagnostics: trainer.history.last?.probes.last?.diagnostics)] + trainer.history.map(\.csvRow)
        try write(text: rows.joined(separator: "\n") + "\n", to: metricsPath)
        let samples = trainer.history.flatMap(\.probes)
        if let first = samples.first {
            let header = "epoch,batch" + first.diagnostics.columns.map { "," + $0.name }.joined()
            let lines = samples.map { "\($0.epoch),\($0.batch)" + $0.diagnostics.columns.map { ",\($0.value)" }.joined() }
            try write(text: ([header] + lines).joined(separator: "\n") + "\n", to: diagnosticsPath)
        }
        try write(json: Summary(trainer: trainer), to: summaryPath)
        try write(text: Self.learningCurves(trainer.history, title: trainer.model.shape + ", " + trainer.model.ruleName), to: curvesPath)
    }

    /// The headline numbers of a run.
    public struct Summary: Codable, Sendable {
        /// Epochs finished.
        public var epochsCompleted: Int
        /// Epochs the configuration asks for.
        public var epochsPlanned: Int
        /// The last epoch's training loss.
        public var finalTrainLoss: Double?
        /// The last epoch's test loss.
        public var finalTestLoss: Double?
        /// The last epoch's test error (fraction), or nMSE for regression.
        public var finalTestError: Double?
        /// The lowest test error of any epoch.
        public var bestTestError: Double?
        /// The epoch of the lowest test error.
        public var bestEpoch: Int?
        /// Seconds spent training, over every epoch.
        public var trainingSeconds: Double
        /// Training throughput over the run.
        public var meanSamplesPerSecond: Double?

        init<Model>(trainer: Trainer<Model>) {
            let history = trainer.history
            epochsCompleted = history.count
            epochsPlanned = trainer.configuration.epochs
            finalTrainLoss = history.last?.trainLoss
            finalTestLoss = history.last?.testLoss
            finalTestError = history.last.flatMap { $0.testError.isNaN ? nil : $0.testError }
            let best = history.filter { !$0.testError.isNaN }.min { $0.testError < $1.testError }
            bestTestError = best?.testError
            bestEpoch = best?.epoch
            trainingSeconds = history.reduce(0) { $0 + $1.seconds }
            meanSamplesPerSecond = history.isEmpty ? nil : history.reduce(0) { $0 + $1.samplesPerSecond } / Double(history.count)
        }
    }

    /// Loss (train and test) and test error against epochs, two panels.
    public static func learningCurves(_ history: [EpochRecord], title: String) -> String {
        let epochs = history.map { Double($0.epoch) }
        let loss = LineChart(title: "Loss — " + title, xLabel: "epoch", yLabel: "loss", series: [
            .init(name: "train", points: zip(epochs, history.map(\.trainLoss)).map { ($0, $1) }),
            .init(name: "test", points: zip(epochs, history.map(\.testLoss)).map { ($0, $1) }),
        ], logarithmicY: true)
        let error = LineChart(title: "Error", xLabel: "epoch", yLabel: "error (%)", series: [
            .init(name: "train (as trained)", points: zip(epochs, history.map { 100 * $0.trainError }).map { ($0, $1) }, dashed: true),
            .init(name: "test", points: zip(epochs, history.map { 100 * $0.testError }).map { ($0, $1) }),
        ], logarithmicY: true)
        return LineChart.panels([loss, error])
    }

    private func write(text: String, to file: String) throws(TrainingError) {
        do { try AtomicFile.write(text, to: file) } catch { throw .output(file: file, reason: error.localizedDescription) }
    }

    private func write<T: Encodable>(json value: T, to file: String) throws(TrainingError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            try AtomicFile.write(encoder.encode(value), to: file)
        } catch {
            throw .output(file: file, reason: error.localizedDescription)
        }
    }
}

/// A run directory's advisory lock, released when this value is gone (or the process ends).
public final class RunLock: Sendable {
    let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }
}
