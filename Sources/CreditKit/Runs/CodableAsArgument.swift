/// A value written in files the way it is written on the command line (`"terms:da/d"`,
/// `"uniform:0.5"`), so that `config.json` reads like the command that made it.
public protocol CodableAsArgument: Codable, CustomStringConvertible {
    init?(argument: String)
}

extension CodableAsArgument {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(argument: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown \(Self.self) '\(text)'"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
