import ArgumentParser
import CreditKit
import Foundation

/// `--resume` continues a run with its recorded configuration: a flag that would change it is an
/// error, never silently dropped; only `--epochs` (upward) extends a run.
enum ResumeCheck {
    /// Throws for the first field that the flags set (`given` differs from `defaults` there) to a
    /// value other than the recorded one.
    static func refuseContradictions<Configuration: Encodable>(given: Configuration, defaults: Configuration,
                                                               recorded: Configuration) throws {
        let (given, defaults, recorded) = (try fields(given), try fields(defaults), try fields(recorded))
        for key in given.keys.sorted() where key != "epochs" {
            let value = given[key], standard = defaults[key], kept = recorded[key]
            if !same(value, standard), !same(value, kept) {
                throw ValidationError("\(FlagNames.flag(forField: key)): not used with --resume; the run continues with its recorded "
                                      + "\(key) (\(text(kept))); only --epochs may extend it")
            }
        }
    }

    private static func fields(_ value: some Encodable) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.outputFormatting = .sortedKeys
        return try JSONSerialization.jsonObject(with: encoder.encode(value)) as? [String: Any] ?? [:]
    }

    private static func same(_ a: Any?, _ b: Any?) -> Bool { text(a) == text(b) }

    /// The value as canonical JSON (wrapped in an array, so that numbers and strings serialize too).
    private static func text(_ value: Any?) -> String {
        guard let value else { return "none" }
        guard let data = try? JSONSerialization.data(withJSONObject: [value], options: .sortedKeys) else { return "\(value)" }
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
