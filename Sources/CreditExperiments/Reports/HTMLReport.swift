import CreditKit
import Foundation

/// One self-contained HTML page of any set of runs, sweeps or reproductions: the paper-versus-ours
/// table, learning curves as mean ± standard error over seeds, each layer's angle to backprop over
/// training, feedback-matrix statistics, coherence, reconstructions, and every run's configuration
/// one click away. Inline SVG and CSS only: it opens offline and prints.
public struct HTMLReport: Sendable {
    /// One trained run as the report shows it.
    public struct Run: Sendable {
        /// The table's row: an experiment's model, or the folder.
        public var model: String
        /// The rule or setting.
        public var variant: String
        /// Its seed, when known.
        public var seed: UInt64?
        /// Its run directory.
        public var directory: String
        /// Every finished epoch.
        public var history: [EpochRecord]
        /// Its `config.json`.
        public var configuration: String
        /// Why it stopped early, if it diverged.
        public var diverged: String?
        /// The paper's figure, in the part's measure.
        public var paper: Double?
    }

    /// What one folder given to `credit report` holds.
    public struct Part: Sendable {
        /// The sweep's or experiment's name, or the folder's.
        public var title: String
        /// The paper and figure.
        public var source: String
        /// What it shows.
        public var notes: String
        /// Whether the figure is the test loss rather than the test error.
        public var measuresLoss: Bool
        /// Lines on the loss chart.
        public var referenceLosses: [SweepManifest.ReferenceLoss]
        /// Its finished runs.
        public var runs: [Run]
        /// Runs not finished (named, left out).
        public var unfinished: [String]
        /// Reconstructions and other pictures the folder holds, as (file name, PNG bytes).
        public var pictures: [(name: String, png: Data)]
    }

    /// The parts, one per folder.
    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }

    /// Reads `path`: a sweep (its manifest), a folder of run directories (a reproduction, a
    /// comparison), or one run directory.
    public static func load(_ path: String) throws -> Part {
        let files = FileManager.default
        let name = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        // The experiment of a reproduction: by the folder's name, or the one whose runs' folders are all here.
        let folders = Set(((try? files.contentsOfDirectory(atPath: path)) ?? []).map {
            $0.replacingOccurrences(of: #"-seed\d+$"#, with: "", options: .regularExpression)
        })
        let experiment = ExperimentRegistry.named(name) ?? ExperimentRegistry.all.first { experiment in
            let runs = Set(experiment.runs.map { "\($0.model)-\($0.variant)" })
            return !folders.intersection(runs).isEmpty && folders.filter { runs.contains($0) || files.fileExists(atPath: path + "/" + $0 + "/config.json") }
                .allSatisfy(runs.contains)
        }
        var part = Part(title: experiment?.name ?? name, source: experiment?.source ?? "", notes: experiment?.notes ?? "",
                        measuresLoss: experiment?.measure == .testLoss,
                        referenceLosses: experiment?.referenceLosses.map { .init(name: $0.name, value: $0.value) } ?? [], runs: [],
                        unfinished: [], pictures: [])
        func read(_ directory: RunDirectory) -> (history: [EpochRecord], configuration: String, diverged: String?) {
            ((try? Checkpoint.read(from: directory.checkpointPath).history) ?? [],
             (try? String(contentsOfFile: directory.configurationPath, encoding: .utf8)) ?? "",
             try? String(contentsOfFile: directory.divergencePath, encoding: .utf8))
        }
        let sweep = SweepDirectory(path: path)
        if sweep.exists {
            let manifest = try sweep.readManifest()
            (part.title, part.source, part.notes) = (manifest.name, manifest.source, manifest.notes)
            (part.measuresLoss, part.referenceLosses) = (manifest.measuresLoss, manifest.referenceLosses)
            for entry in manifest.entries {
                let state = sweep.state(of: entry)
                guard state == .done || state.name == "diverged" else {
                    part.unfinished.append("\(entry.model) \(entry.variant) seed \(entry.seed) (\(state.name))")
                    continue
                }
                let (history, configuration, diverged) = read(sweep.runDirectory(entry))
                part.runs.append(Run(model: entry.model, variant: entry.variant, seed: entry.seed, directory: sweep.runDirectory(entry).path,
                                     history: history, configuration: configuration, diverged: diverged, paper: entry.paperFigure))
            }
        } else if files.fileExists(atPath: RunDirectory(path: path).configurationPath) {
            let (history, configuration, diverged) = read(RunDirectory(path: path))
            part.runs.append(Run(model: "run", variant: name, seed: nil, directory: path, history: history, configuration: configuration,
                                 diverged: diverged, paper: nil))
        } else {
            guard let children = try? files.contentsOfDirectory(atPath: path) else {
                throw TrainingError.output(file: path, reason: "is neither a sweep, a run directory, nor a folder of runs")
            }
            let papers = Self.paperFigures(path + "/results.csv")
            for child in children.sorted() where files.fileExists(atPath: RunDirectory(path: path + "/" + child).configurationPath) {
                let directory = RunDirectory(path: path + "/" + child)
                let (history, configuration, diverged) = read(directory)
                guard !history.isEmpty else {
                    part.unfinished.append(child)
                    continue
                }
                // `<model>-<variant>[-seed<N>]`, as reproduce names its folders.
                var group = child, seed: UInt64?
                if let range = child.range(of: #"-seed\d+$"#, options: .regularExpression) {
                    seed = UInt64(child[range].dropFirst(5))
                    group = String(child[..<range.lowerBound])
                }
                let known = experiment?.runs.first { "\($0.model)-\($0.variant)" == group }
                part.runs.append(Run(model: known?.model ?? name, variant: known?.variant ?? group, seed: seed, directory: directory.path,
                                     history: history, configuration: configuration, diverged: diverged,
                                     paper: known?.paperTestError ?? papers[group]))
            }
            guard !part.runs.isEmpty || !part.unfinished.isEmpty else {
                throw TrainingError.output(file: path, reason: "holds no run directory (a folder with config.json) and no sweep manifest")
            }
        }
        for file in ((try? files.contentsOfDirectory(atPath: path)) ?? []).sorted() where file.hasSuffix(".png") {
            if let data = files.contents(atPath: path + "/" + file) { part.pictures.append((file, data)) }
        }
        return part
    }

    /// `model-variant` → the paper's figure, from a reproduction's results.csv.
    private static func paperFigures(_ path: String) -> [String: Double] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            if cells.count > 3, let value = Double(cells[3]) { result["\(cells[0])-\(cells[1])"] = value }
        }
        return result
    }

    /// The page.
    public var html: String {
        var body = ""
        for part in parts { body += section(part) }
        let title = parts.map(\.title).joined(separator: ", ")
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) — CreditKit report</title>
        <style>\(Self.style)</style></head>
        <body><header><h1>\(escape(title))</h1>
        <p class="meta">CreditKit \(CreditKit.version) · generated \(ISO8601DateFormatter().string(from: Date())) · \
        \(parts.map(\.runs.count).reduce(0, +)) runs</p></header>
        \(body)
        </body></html>

        """
    }

    /// Rows of the table: (model, variant) in first-seen order, each with its seeds.
    private func groups(_ part: Part) -> [(model: String, variant: String, runs: [Run])] {
        var groups: [(model: String, variant: String, runs: [Run])] = []
        for run in part.runs {
            if let g = groups.firstIndex(where: { $0.model == run.model && $0.variant == run.variant }) {
                groups[g].runs.append(run)
            } else {
                groups.append((run.model, run.variant, [run]))
            }
        }
        return groups
    }

    /// One colour per variant, the same in the table and every chart of the part.
    private func colors(_ part: Part) -> [String: String] {
        var colors: [String: String] = [:]
        for run in part.runs where colors[run.variant] == nil {
            colors[run.variant] = LineChart.palette[colors.count % LineChart.palette.count]
        }
        return colors
    }

    private func section(_ part: Part) -> String {
        let groups = groups(part), colors = colors(part)
        let measure = part.measuresLoss ? "test loss" : "test error"
        func show(_ value: Double) -> String {
            part.measuresLoss ? String(format: "%.4g", value) : String(format: "%.2f %%", 100 * value)
        }
        func figure(_ record: EpochRecord) -> Double { part.measuresLoss ? record.testLoss : record.testError }
        var out = "<section><h2>\(escape(part.title))</h2>"
        if !part.source.isEmpty { out += "<p class=\"source\">\(escape(part.source))</p>" }
        if !part.notes.isEmpty { out += "<p class=\"notes\">\(escape(part.notes))</p>" }
        // The table.
        out += "<table><thead><tr><th>model</th><th>variant</th><th>seeds</th><th>paper</th><th>ours, final</th><th>ours, best</th>"
            + "<th>epochs</th><th>time</th></tr></thead><tbody>"
        for group in groups {
            let finals = group.runs.compactMap { $0.history.last.map(figure) }.filter(\.isFinite)
            let bests = group.runs.compactMap { $0.history.map(figure).filter(\.isFinite).min() }
            func spread(_ values: [Double]) -> String {
                let s = MeanAndStandardError(values)
                guard s.count > 0 else { return "—" }
                return show(s.mean) + (s.count > 1 ? " ± " + (part.measuresLoss ? String(format: "%.2g", s.standardError)
                                                              : String(format: "%.2f", 100 * s.standardError)) : "")
            }
            let paper = group.runs.first?.paper.map { part.measuresLoss ? String(format: "%.3g", $0) : String(format: "%.2f %%", $0) } ?? "—"
            let diverged = group.runs.filter { $0.diverged != nil }.count
            let seconds = group.runs.reduce(0.0) { $0 + $1.history.reduce(0) { $0 + $1.seconds } }
            out += "<tr><td>\(escape(group.model))</td><td><span class=\"swatch\" style=\"background:\(colors[group.variant]!)\"></span>"
                + "\(escape(group.variant))</td><td>\(group.runs.count)\(diverged > 0 ? " (\(diverged) diverged)" : "")</td>"
                + "<td>\(paper)</td><td>\(spread(finals))</td><td>\(spread(bests))</td>"
                + "<td>\(group.runs.map(\.history.count).max() ?? 0)</td><td>\(String(format: "%.0f s", seconds))</td></tr>"
        }
        out += "</tbody></table>"
        if !part.unfinished.isEmpty {
            out += "<p class=\"warning\">Not finished, left out: \(escape(part.unfinished.joined(separator: ", ")))</p>"
        }
        // Learning curves, one chart per model: the measure and the training loss, mean ± SE over seeds.
        out += "<h3>Learning curves <small>(mean ± standard error over seeds)</small></h3><div class=\"charts\">"
        for model in Self.distinct(groups.map(\.model)) {
            let ofModel = groups.filter { $0.model == model }
            func series(_ value: @escaping (EpochRecord) -> Double, scale: Double) -> [LineChart.Series] {
                ofModel.map { group in
                    let epochs = group.runs.map(\.history.count).max() ?? 0
                    var points: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
                    for e in 0..<epochs {
                        let s = MeanAndStandardError(group.runs.compactMap { e < $0.history.count ? value($0.history[e]) : nil }.filter(\.isFinite))
                        guard s.count > 0 else { continue }
                        points.append((Double(e + 1), scale * s.mean))
                        if s.count > 1 { band.append((Double(e + 1), scale * (s.mean - s.standardError), scale * (s.mean + s.standardError))) }
                    }
                    return LineChart.Series(name: group.variant, points: points, band: band, color: colors[group.variant])
                }
            }
            let epochs = Double(ofModel.flatMap(\.runs).map(\.history.count).max() ?? 1)
            let references = part.referenceLosses.map {
                LineChart.Series(name: $0.name, points: [(1, $0.value), (epochs, $0.value)], dashed: true, color: "#555555")
            }
            let main = LineChart(title: "\(model): \(measure)", xLabel: "epoch", yLabel: part.measuresLoss ? "loss per example" : "test error (%)",
                                 series: series(figure, scale: part.measuresLoss ? 1 : 100) + (part.measuresLoss ? references : []),
                                 logarithmicY: true)
            let training = LineChart(title: "\(model): training loss", xLabel: "epoch", yLabel: "loss per example",
                                     series: series(\.trainLoss, scale: 1), logarithmicY: true)
            out += main.svg(width: 560, height: 360) + training.svg(width: 560, height: 360)
        }
        out += "</div>"
        // Diagnostics over training, first seed of each row.
        let firsts = groups.map { (variant: $0.variant, history: $0.runs[0].history) }
        let layers = firsts.compactMap { $0.history.last?.probes.last?.diagnostics.weightAngles.count }.max() ?? 0
        if layers > 0 {
            out += "<h3>Angle of ΔW to backprop's, per layer <small>(first seed; 90° is orthogonal, 0° is backprop)</small></h3><div class=\"charts\">"
            for ℓ in 0..<layers {
                let names = firsts.compactMap { $0.history.last?.probes.last?.diagnostics.weightNames }.first
                let layerName = names.map { ℓ < $0.count ? "W" + $0[ℓ] : "layer \(ℓ + 1)" } ?? "layer \(ℓ + 1)"
                let chart = LineChart(title: "\(layerName): ∠(ΔW, ΔW_BP)", xLabel: "epoch", yLabel: "degrees", series: firsts.map { row in
                    .init(name: row.variant, points: row.history.compactMap { record in
                        record.probes.last.flatMap { ℓ < $0.diagnostics.weightAngles.count ? (Double(record.epoch), $0.diagnostics.weightAngles[ℓ]) : nil }
                    }, color: colors[row.variant])
                })
                out += chart.svg(width: 560, height: 340)
            }
            out += "</div>"
        }
        let tags = Self.distinct(firsts.flatMap { $0.history.last?.probes.last?.diagnostics.feedback.filter { $0.kind != "direct" }.map(\.tag) ?? [] })
        if !tags.isEmpty {
            out += "<h3>Feedback matrices against the forward weights they stand for <small>(first seed)</small></h3><div class=\"charts\">"
            for tag in tags {
                func chart(_ title: String, _ unit: String, _ value: @escaping (GradientDiagnostics.Feedback) -> Double) -> LineChart {
                    LineChart(title: "\(tag): \(title)", xLabel: "epoch", yLabel: unit, series: firsts.compactMap { row in
                        let points = row.history.compactMap { record in
                            record.probes.last?.diagnostics.feedback.first { $0.tag == tag }.map { (Double(record.epoch), value($0)) }
                        }
                        return points.isEmpty ? nil : LineChart.Series(name: row.variant, points: points, color: colors[row.variant])
                    })
                }
                out += chart("relative error ‖Wᵀ − B‖ / ‖W‖", "relative error", \.relativeError).svg(width: 560, height: 320)
                out += chart("sign congruence with Wᵀ", "% equal signs", \.signCongruence).svg(width: 560, height: 320)
            }
            out += "</div>"
        }
        let coherent = firsts.contains { !($0.history.last?.probes.last?.diagnostics.coherence.isEmpty ?? true) }
        if coherent {
            let depth = firsts.compactMap { $0.history.last?.probes.last?.diagnostics.coherence.count }.max() ?? 0
            out += "<h3>Coherence Στ / Σ|τ| per hidden layer <small>(Kickback; first seed)</small></h3><div class=\"charts\">"
            for ℓ in 0..<depth {
                out += LineChart(title: "hidden layer \(ℓ + 1): coherence", xLabel: "epoch", yLabel: "coherence", series: firsts.map { row in
                    .init(name: row.variant, points: row.history.compactMap { record in
                        record.probes.last.flatMap { ℓ < $0.diagnostics.coherence.count ? (Double(record.epoch), $0.diagnostics.coherence[ℓ]) : nil }
                    }, color: colors[row.variant])
                }).svg(width: 560, height: 320)
            }
            out += "</div>"
        }
        for picture in part.pictures {
            out += "<h3>\(escape(picture.name))</h3><img class=\"picture\" alt=\"\(escape(picture.name))\" "
                + "src=\"data:image/png;base64,\(picture.png.base64EncodedString())\">"
        }
        // Every run's configuration, one click away.
        out += "<h3>Runs</h3><div class=\"runs\">"
        for run in part.runs {
            let final = run.history.last.map { show(figure($0)) } ?? "—"
            out += "<details><summary><span class=\"swatch\" style=\"background:\(colors[run.variant]!)\"></span>\(escape(run.model)) · "
                + "\(escape(run.variant))\(run.seed.map { " · seed \($0)" } ?? "") — \(measure) \(final)"
                + "\(run.diverged != nil ? " (diverged)" : "") <code>\(escape(run.directory))</code></summary>"
                + "<pre>\(escape(run.configuration))</pre></details>"
        }
        return out + "</div></section>"
    }

    private static func distinct(_ values: [String]) -> [String] {
        var seen: [String] = []
        for value in values where !seen.contains(value) { seen.append(value) }
        return seen
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let style = """
    body { font-family: Helvetica, Arial, sans-serif; color: #222; margin: 2em auto; max-width: 1180px; padding: 0 1em; }
    h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
    h3 { margin-top: 1.6em; } small { color: #777; font-weight: normal; }
    .meta, .source { color: #555; } .notes { color: #444; font-size: 0.92em; line-height: 1.4; max-width: 60em; }
    .warning { color: #a33; }
    table { border-collapse: collapse; font-size: 0.95em; } th, td { padding: 0.35em 0.8em; text-align: left; }
    thead th { border-bottom: 2px solid #333; } tbody tr:nth-child(even) { background: #f6f6f6; }
    td:nth-child(n+3) { font-variant-numeric: tabular-nums; }
    .swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 2px; margin-right: 0.45em; vertical-align: baseline; }
    .charts { display: flex; flex-wrap: wrap; gap: 0.5em; } .charts svg { border: 1px solid #eee; }
    .picture { max-width: 100%; image-rendering: pixelated; border: 1px solid #eee; }
    details { margin: 0.2em 0; } summary { cursor: pointer; } pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
    code { font-size: 0.85em; color: #666; margin-left: 0.5em; }
    @media print { body { max-width: none; margin: 0; } section { page-break-before: always; } details { display: none; } .charts svg { border: none; } }
    """
}
