import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `credit sweep` end to end: a grid of tiny runs through the local executor and through a real
/// Slurm (where one is running), a task killed mid-run, a corrupt spec, status, resume, collect.
@Suite("Sweeps", .serialized)
struct SweepTests {
    typealias CLI = CommandLineTests

    /// 2 rules × 2 step sizes × 2 seeds on the bundled digits.
    static let grid = ["--grid", "rule=fa,dfa", "--grid", "lr=0.02,0.05", "--seeds", "2", "--epochs", "2", "--layers", "16,16",
                       "--batch-size", "32"]

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("credit-\(name)-\(UUID().uuidString)").path
    }

    /// Every run's outcome (metrics without timing, final tensors), by run id.
    static func outcomes(_ sweep: String) throws -> [String: (metrics: [String], tensors: Data)] {
        var result: [String: (metrics: [String], tensors: Data)] = [:]
        for id in try FileManager.default.contentsOfDirectory(atPath: sweep + "/runs") {
            result[id] = try KillTests.outcome(sweep + "/runs/" + id)
        }
        return result
    }

    /// The results table's rows: model, variant, and the figures.
    static func table(_ sweep: String) throws -> [String] {
        try String(contentsOfFile: sweep + "/results.csv", encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aLocalSweepRunsEveryPointAndCollectsOneTable() throws {
        let sweep = Self.temporary("sweep-local")
        defer { try? FileManager.default.removeItem(atPath: sweep) }
        let result = try CLI.credit(["sweep"] + Self.grid + ["--out", sweep, "--executor", "local:2"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.error.contains("8 done, 0 running, 0 failed"), "\(result.error)")
        #expect(try Self.outcomes(sweep).count == 8)
        let rows = try Self.table(sweep)
        #expect(rows.count == 1 + 8 && rows.contains { $0.hasPrefix("grid,rule=dfa lr=0.05,2,") }, "\(rows)")
        let status = try CLI.credit("sweep", "status", sweep)
        #expect(status.status == 0 && status.output.contains("8 done, 0 running, 0 failed, 0 diverged, 0 pending"), "\(status.output)")
        // Nothing left to do: resume trains nothing and collects again.
        let again = try CLI.credit("sweep", "resume", sweep, "--executor", "local:2")
        #expect(again.status == 0 && again.error.contains("nothing to run"), "\(again.error)")
        // A run of the sweep equals the same configuration trained by `credit train`.
        let single = Self.temporary("single")
        defer { try? FileManager.default.removeItem(atPath: single) }
        let train = try CLI.credit(["train", "--rule", "dfa", "--lr", "0.05", "--seed", "2", "--epochs", "2", "--layers", "16,16",
                                    "--batch-size", "32", "--out", single])
        #expect(train.status == 0, "\(train.error)")
        let manifest = try String(contentsOfFile: sweep + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"rule=dfa lr=0.05\""))
        let entries = try JSONSerialization.jsonObject(with: Data(manifest.utf8)) as! [String: Any]
        let entry = (entries["entries"] as! [[String: Any]]).first { $0["variant"] as? String == "rule=dfa lr=0.05" && $0["seed"] as? Int == 2 }!
        let found = try KillTests.outcome(sweep + "/" + (entry["directory"] as! String)), expected = try KillTests.outcome(single)
        #expect(found.metrics == expected.metrics && found.tensors == expected.tensors)
    }

    /// A task killed with SIGKILL is reported failed; resume runs only it, from its checkpoint,
    /// to the uninterrupted result. A corrupt spec fails its own task with a message naming the
    /// file, and the others finish.
    @Test func aKilledTaskResumesAndACorruptSpecFailsAlone() throws {
        let sweep = Self.temporary("sweep-faults")
        defer { try? FileManager.default.removeItem(atPath: sweep) }
        let arguments = ["sweep", "--grid", "rule=fa,bp", "--epochs", "10", "--layers", "96,96", "--batch-size", "16", "--out", sweep,
                         "--executor", "local:2"]
        let create = Process()
        create.executableURL = CLI.executable
        create.arguments = arguments
        let log = Pipe()
        create.standardError = log
        create.standardOutput = FileHandle.nullDevice
        try create.run()
        // Kill the worker training run 0001 once it has finished an epoch.
        let lock = sweep + "/runs/0001/.lock", summary = sweep + "/runs/0001/summary.json"
        var killed = false
        for _ in 0..<600 where !killed {
            usleep(50_000)
            if FileManager.default.fileExists(atPath: summary),
               let pid = try? String(contentsOfFile: lock, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), let p = Int32(pid) {
                killed = kill(p, SIGKILL) == 0
            }
        }
        _ = log.fileHandleForReading.readDataToEndOfFile()
        create.waitUntilExit()
        #expect(killed)
        let status = try CLI.credit("sweep", "status", sweep)
        #expect(status.output.contains("1 done, 0 running, 1 failed"), "\(status.output)")
        #expect(status.output.contains("killed by signal 9"), "\(status.output)")
        let finished = try KillTests.outcome(sweep + "/runs/0002")
        let resumed = try CLI.credit("sweep", "resume", sweep, "--executor", "local:2")
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.error.contains("1 runs on"), "\(resumed.error)")
        let taskLog = try String(contentsOfFile: sweep + "/logs/0001.log", encoding: .utf8)
        #expect(taskLog.contains("resuming"), "\(taskLog)")
        #expect(try KillTests.outcome(sweep + "/runs/0002").metrics == finished.metrics)
        // The killed run ends where an uninterrupted one does.
        let straight = Self.temporary("straight")
        defer { try? FileManager.default.removeItem(atPath: straight) }
        _ = try CLI.credit("train", "--rule", "fa", "--epochs", "10", "--layers", "96,96", "--batch-size", "16", "--out", straight)
        let a = try KillTests.outcome(sweep + "/runs/0001"), b = try KillTests.outcome(straight)
        #expect(a.metrics == b.metrics && a.tensors == b.tensors)

        // A corrupt spec: its task fails with the file's name, the other runs on.
        let broken = Self.temporary("sweep-corrupt")
        defer { try? FileManager.default.removeItem(atPath: broken) }
        let prepared = try CLI.credit("sweep", "--grid", "rule=fa,bp", "--epochs", "1", "--layers", "8", "--out", broken, "--dry-run")
        #expect(prepared.status == 0 && !FileManager.default.fileExists(atPath: broken + "/runs"), "\(prepared.error)")
        try #"{"model": "feed-forward", "configuration": {"rule": "nope"}}"#.write(toFile: broken + "/specs/0002.json", atomically: true,
                                                                               encoding: .utf8)
        let run = try CLI.credit("sweep", "resume", broken, "--executor", "local:2")
        #expect(run.status == 0, "\(run.error)")
        let report = try CLI.credit("sweep", "status", broken)
        #expect(report.output.contains("1 done, 0 running, 1 failed"), "\(report.output)")
        #expect(report.output.contains("specs/0002.json"), "\(report.output)")
    }

    /// The same grid through a single-node Slurm (started by .ci/run): identical runs, bit for
    /// bit, and the same table. Skipped, and says so, where no Slurm answers.
    @Test func aSlurmSweepEqualsTheLocalOne() throws {
        guard Self.slurmAnswers else {
            // CI starts a cluster and sets CREDITKIT_REQUIRE_SLURM: there, no answer is a failure.
            #expect(ProcessInfo.processInfo.environment["CREDITKIT_REQUIRE_SLURM"] == nil, "no Slurm cluster answers, though CI started one")
            print("skipped: no Slurm cluster answers here (sbatch/sinfo); .ci/run starts one with .ci/slurm-up")
            return
        }
        let local = Self.temporary("sweep-local2"), slurm = Self.temporary("sweep-slurm")
        defer { for path in [local, slurm] { try? FileManager.default.removeItem(atPath: path) } }
        #expect(try CLI.credit(["sweep"] + Self.grid + ["--out", local, "--executor", "local:2"]).status == 0)
        let submitted = try CLI.credit(["sweep"] + Self.grid + ["--out", slurm, "--executor", "slurm", "--max-concurrent", "2",
                                                                 "--slurm-option", "cpus-per-task=1", "--wait"])
        #expect(submitted.status == 0, "\(submitted.error)")
        #expect(submitted.error.contains("submitted job array"), "\(submitted.error)")
        #expect(try String(contentsOfFile: slurm + "/sweep.sbatch", encoding: .utf8).contains("#SBATCH --cpus-per-task=1"))
        let (a, b) = (try Self.outcomes(local), try Self.outcomes(slurm))
        #expect(a.count == 8 && b.count == 8)
        for (id, run) in a {
            #expect(run.metrics == b[id]?.metrics && run.tensors == b[id]?.tensors, "run \(id)")
        }
        func figures(_ rows: [String]) -> [String] { rows.map { $0.split(separator: ",").prefix(6).joined(separator: ",") } }
        #expect(figures(try Self.table(local)) == figures(try Self.table(slurm)))
        #expect(FileManager.default.fileExists(atPath: slurm + "/logs/0008.log"))
    }

    /// A random search draws its points from the seed, inside the ranges, log-uniformly when
    /// asked; a bad range or a flag `credit train` refuses is refused before anything is written.
    @Test func aRandomSearchDrawsItsPointsInsideTheRanges() throws {
        let sweep = Self.temporary("sweep-sample")
        defer { try? FileManager.default.removeItem(atPath: sweep) }
        let made = try CLI.credit("sweep", "--sample", "lr=log:0.001:0.1", "--samples", "5", "--grid", "rule=fa,dfa", "--epochs", "1",
                                  "--layers", "8", "--out", sweep, "--dry-run")
        #expect(made.status == 0, "\(made.error)")
        let specs = try FileManager.default.contentsOfDirectory(atPath: sweep + "/specs").sorted()
        #expect(specs.count == 10)
        var rates: Set<Double> = []
        for spec in specs {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sweep + "/specs/" + spec))) as! [String: Any]
            let rate = (json["configuration"] as! [String: Any])["learningRate"] as! Double
            #expect(rate >= 0.001 && rate <= 0.1, "\(rate)")
            rates.insert(rate)
        }
        #expect(rates.count == 5, "the same 5 points for both rules: \(rates)")
        for (arguments, named) in [(["--sample", "lr=0.1:0.01"], "--sample"), (["--sample", "lr=log:0:1"], "--sample"),
                                   (["--grid", "lr=-1,0.1"], "lr=-1"), (["--grid", "epochs=1,2"], "--epochs"), (["--samples", "3"], "--samples")] {
            let refused = try CLI.credit(["sweep"] + arguments + ["--out", sweep + "-bad", "--dry-run"])
            #expect(refused.status == 64 && refused.error.contains(named), "\(arguments): \(refused.error)")
            #expect(!FileManager.default.fileExists(atPath: sweep + "-bad"))
        }
    }

    /// Whether `sbatch` is installed and the controller answers.
    static var slurmAnswers: Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sinfo", "-h", "-o", "%T"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 && text.contains(where: { !$0.isWhitespace })
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/sbatch")
    }
}

/// `credit report`: one self-contained page of a sweep, opened in a real browser where one is
/// installed.
@Suite("The HTML report")
struct ReportTests {
    typealias CLI = CommandLineTests

    @Test func aSweepsReportIsOnePageThatABrowserRendersWithoutErrors() throws {
        let sweep = SweepTests.temporary("sweep-report")
        defer { try? FileManager.default.removeItem(atPath: sweep) }
        let made = try CLI.credit("sweep", "--grid", "rule=fa,bp", "--seeds", "2", "--epochs", "2", "--layers", "16", "--out", sweep,
                                  "--executor", "local:2")
        #expect(made.status == 0, "\(made.error)")
        let report = try CLI.credit("report", sweep)
        #expect(report.status == 0, "\(report.error)")
        let html = try String(contentsOfFile: sweep + "/report.html", encoding: .utf8)
        // Self-contained: no script, no stylesheet or image fetched from anywhere.
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src=\"http") && !html.contains("url(http"))
        #expect(html.contains("rule=fa</td>") && html.contains("rule=bp</td>"))
        #expect(html.components(separatedBy: "<svg").count - 1 >= 4, "learning curves, angles, feedback charts")
        #expect(html.components(separatedBy: "<details>").count - 1 == 4, "one configuration per run")
        #expect(html.contains("&quot;rule&quot;"), "the configurations are inline")
        let bad = try CLI.credit("report", sweep + "/specs")
        #expect(bad.status != 0 && bad.error.contains("specs"), "\(bad.error)")

        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: FileManager.default.isExecutableFile(atPath:)) else {
            print("skipped the browser check: no Chromium here (apt-get install chromium)")
            return
        }
        let png = sweep + "/report.png"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                             "--window-size=1280,2400", "--screenshot=\(png)", "file://" + sweep + "/report.html"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(log)")
        let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") || $0.contains("Refused") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")
        let size = (try? FileManager.default.attributesOfItem(atPath: png))?[.size] as? Int ?? 0
        #expect(size > 20_000, "the screenshot is \(size) bytes")
    }
}
