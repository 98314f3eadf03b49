import CreditKit
import Foundation

/// Where a sweep stands while it runs: the tally and an estimate of the time left.
public struct SweepProgress: Sendable {
    /// Runs per state.
    public var tally: SweepTally
    /// Seconds left, from the runs finished so far (nil before the first).
    public var secondsLeft: Double?

    public init(tally: SweepTally, secondsLeft: Double?) {
        self.tally = tally
        self.secondsLeft = secondsLeft
    }
}

/// Runs a sweep's tasks as `credit run SPEC` processes on this machine, `workers` at a time, each
/// with its share of the cores as BLAS threads (for small nets one thread per process beats one
/// process with many threads), each task's output appended to `logs/<id>.log`.
public struct LocalExecutor: Sendable {
    /// The `credit` executable.
    public var executable: String
    /// Processes at a time.
    public var workers: Int
    /// BLAS threads per process (`OPENBLAS_NUM_THREADS`).
    public var threadsPerWorker: Int
    /// Appended to every `credit run` (`--data ROOT`).
    public var extraArguments: [String]

    public init(executable: String, workers: Int, threadsPerWorker: Int, extraArguments: [String] = []) {
        self.executable = executable
        self.workers = workers
        self.threadsPerWorker = threadsPerWorker
        self.extraArguments = extraArguments
    }

    /// Runs `ids` of `sweep` to the end; a task that ends with an error, or is killed, is marked
    /// failed in its run directory (the others go on). Reports progress after every change and
    /// every few seconds.
    public func run(_ sweep: SweepDirectory, manifest: SweepManifest, ids: [String], progress: (SweepProgress) -> Void) throws {
        var queue = ids[...]
        var running: [(id: String, process: Process, log: FileHandle, started: Date)] = []
        var durations: [Double] = []
        let others = manifest.entries.filter { !ids.contains($0.id) }.map { sweep.state(of: $0) }
        var ended: [RunState] = []
        var lastReport = Date.distantPast
        func report() {
            let states = others + ended + running.map { _ in RunState.running } + queue.map { _ in RunState.pending }
            let mean = durations.isEmpty ? nil : durations.reduce(0, +) / Double(durations.count)
            let left = mean.map { $0 * Double(queue.count + running.count) / Double(max(workers, 1)) }
            progress(SweepProgress(tally: SweepTally(states), secondsLeft: left))
            lastReport = Date()
        }
        report()
        while !queue.isEmpty || !running.isEmpty {
            while running.count < workers, let id = queue.popFirst() {
                running.append(try launch(id, in: sweep))
                report()
            }
            Thread.sleep(forTimeInterval: 0.1)
            var changed = false
            for (n, task) in running.enumerated().reversed() where !task.process.isRunning {
                running.remove(at: n)
                try? task.log.close()
                durations.append(Date().timeIntervalSince(task.started))
                if let entry = manifest.entries.first(where: { $0.id == task.id }) {
                    Self.recordFailure(of: task.process, entry: entry, in: sweep)
                    ended.append(sweep.state(of: entry))
                }
                changed = true
            }
            if changed || Date().timeIntervalSince(lastReport) > 2 { report() }
        }
    }

    /// Starts `credit run` for run `id`, its output appended to its log.
    private func launch(_ id: String, in sweep: SweepDirectory) throws -> (id: String, process: Process, log: FileHandle, started: Date) {
        let logPath = sweep.logPath(id)
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw TrainingError.output(file: logPath, reason: "cannot open the task's log")
        }
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", sweep.specPath(id)] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = String(threadsPerWorker)
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw TrainingError.output(file: executable, reason: "cannot start `credit run` (\(error.localizedDescription))")
        }
        return (id, process, log, Date())
    }

    /// A task that ended badly without saying why (a signal, a crash) gets a `failed.txt` that does.
    static func recordFailure(of process: Process, entry: SweepManifest.Entry, in sweep: SweepDirectory) {
        guard process.terminationStatus != 0 || process.terminationReason == .uncaughtSignal else { return }
        let run = sweep.runDirectory(entry)
        guard !FileManager.default.fileExists(atPath: run.failurePath) else { return }
        let reason = process.terminationReason == .uncaughtSignal ? "killed by signal \(process.terminationStatus)"
            : "exited with status \(process.terminationStatus)"
        try? FileManager.default.createDirectory(atPath: run.path, withIntermediateDirectories: true)
        try? AtomicFile.write(reason + "; see \(sweep.logPath(entry.id))\n", to: run.failurePath)
    }
}

/// Submits a sweep's tasks to Slurm as one job array, `sbatch --array=…%K`: each array task runs
/// `credit run DIR/specs/<index>.json`, its output in `DIR/logs/<index>.log`.
public struct SlurmExecutor: Sendable {
    /// The `credit` executable, as the compute nodes see it.
    public var executable: String
    /// Lines for the batch script, each an sbatch option (`--partition=short`, `--time=1:00:00`).
    public var options: [String]
    /// At most this many tasks at once (`%K`); no limit when nil.
    public var concurrency: Int?
    /// Appended to every `credit run` (`--data ROOT`).
    public var extraArguments: [String]

    public init(executable: String, options: [String], concurrency: Int?, extraArguments: [String] = []) {
        self.executable = executable
        self.options = options
        self.concurrency = concurrency
        self.extraArguments = extraArguments
    }

    /// Whether `sbatch` is on the PATH.
    public static var isAvailable: Bool { which("sbatch") != nil }

    /// The batch script of `sweep`.
    public func script(for sweep: SweepDirectory, name: String) -> String {
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let root = URL(fileURLWithPath: sweep.path).standardizedFileURL.path
        var lines = ["#!/bin/bash", "#SBATCH --job-name=credit-\(name)", "#SBATCH --output=\(root)/logs/%4a.log", "#SBATCH --open-mode=append"]
        lines += options.map { "#SBATCH " + ($0.hasPrefix("--") ? $0 : "--" + $0) }
        lines += [
            "# One task per run of the sweep: the array index is the spec's number.",
            "id=$(printf '%04d' \"$SLURM_ARRAY_TASK_ID\")",
            "export OPENBLAS_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
            "exec \(quoted(executable)) run \(quoted(root + "/specs/"))\"$id\".json" + extraArguments.map { " " + quoted($0) }.joined(),
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the script and submits `ids` as one job array; returns the job id, recorded in the
    /// manifest with the submission.
    public func submit(_ sweep: SweepDirectory, manifest: SweepManifest, ids: [String]) throws -> String {
        try AtomicFile.write(script(for: sweep, name: manifest.name), to: sweep.scriptPath)
        let indices = ids.compactMap { Int($0) }.map(String.init).joined(separator: ",")
        let array = "--array=" + indices + (concurrency.map { "%\($0)" } ?? "")
        let (status, output, error) = Self.execute("sbatch", ["--parsable", array, sweep.scriptPath])
        guard status == 0, let jobID = output.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
              !jobID.isEmpty else {
            throw TrainingError.output(file: sweep.scriptPath, reason: "sbatch refused the job array: \(error.isEmpty ? output : error)")
        }
        var manifest = manifest
        manifest.submissions.append(.init(executor: "slurm", jobID: jobID, ids: ids, date: ISO8601DateFormatter().string(from: Date())))
        try sweep.writeManifest(manifest)
        return jobID
    }

    /// The runs the scheduler still holds for `manifest`'s jobs: queued (pending) and active
    /// (running), by run id. Jobs the scheduler has forgotten add nothing.
    public static func queue(of manifest: SweepManifest) -> (queued: Set<String>, active: Set<String>) {
        var queued: Set<String> = [], active: Set<String> = []
        guard isAvailable else { return (queued, active) }
        for job in Set(manifest.submissions.compactMap(\.jobID)) {
            let (status, output, _) = execute("squeue", ["-h", "-r", "-j", job, "-o", "%i %T"])
            guard status == 0 else { continue }
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let index = parts[0].split(separator: "_").last.flatMap({ Int($0) }) else { continue }
                let id = String(format: "%04d", index)
                switch parts[1] {
                case "RUNNING", "COMPLETING": active.insert(id)
                default: queued.insert(id)
                }
            }
        }
        return (queued, active)
    }

    /// The full path of `tool` on the PATH.
    static func which(_ tool: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs `tool` with `arguments`; its status, standard output and standard error.
    static func execute(_ tool: String, _ arguments: [String]) -> (status: Int32, output: String, error: String) {
        guard let path = which(tool) else { return (127, "", "\(tool) is not on the PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        do { try process.run() } catch { return (126, "", "\(error)") }
        let out = output.fileHandleForReading.readDataToEndOfFile(), err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
