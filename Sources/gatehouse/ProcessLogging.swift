import Foundation
import GatehouseCore
import Logging

enum ProcessLogging {
    /// The process logger: plain text or one JSON object per line, on standard error.
    static func make(_ configuration: GatehouseConfiguration) -> Logger {
        let format = configuration.logFormat
        LoggingSystem.bootstrap { label in
            switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLogHandler(label: label)
            }
        }
        var logger = Logger(label: "gatehouse")
        logger.logLevel = configuration.logLevel
        return logger
    }
}

/// One JSON object per log line: `{"ts","level","label","msg",…metadata}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: JSONValue] = [
            "ts": .string(Timestamp.iso8601(Timestamp.nowMillis())), "level": .string(event.level.rawValue),
            "label": .string(label), "msg": .string(event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            object[key] = .string(value.description)
        }
        FileHandle.standardError.write(Data((JSONValue.object(object).jsonText() + "\n").utf8))
    }
}
