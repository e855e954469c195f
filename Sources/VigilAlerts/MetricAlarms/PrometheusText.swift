import VigilCore
import VigilNotify

/// Reads the Prometheus text exposition format (0.0.4), the shape of Vigil's own `/metrics`, so metric alarms can
/// watch the figures an operator already graphs. Pure; malformed lines are skipped (the writer is Vigil itself).
public enum PrometheusText {
    public struct Sample: Sendable, Equatable {
        public var name: String
        /// Sorted by name, so one series always has one key.
        public var labels: [Label]
        public var value: Double

        public init(name: String, labels: [Label], value: Double) {
            self.name = name
            self.labels = labels.sorted { $0.name < $1.name }
            self.value = value
        }

        /// `name{a="1",b="2"}`: the series' identity.
        public var key: String { name + labelText }

        /// `{a="1",b="2"}`, or empty without labels.
        public var labelText: String {
            labels.isEmpty ? "" : "{" + labels.map { "\($0.name)=\"\(escape($0.value))\"" }.joined(separator: ",") + "}"
        }
    }

    /// A name and value, as Alertmanager's labels are (they are Prometheus labels).
    public typealias Label = AlertNotice.Label

    public struct Exposition: Sendable, Equatable {
        public var samples: [Sample]
        /// `# TYPE` per family: counter, gauge, histogram, summary, untyped.
        public var types: [String: String]

        /// Whether a series only grows (until a restart): a counter, or a histogram's or summary's buckets, count
        /// and sum. Alarms see its increase per sample instead of its running total.
        public func isCumulative(_ name: String) -> Bool {
            if types[name] == "counter" { return true }
            for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) {
                if let type = types[String(name.dropLast(suffix.count))], type == "histogram" || type == "summary" { return true }
            }
            return false
        }

        /// Every name a series can have: sample names and typed families (a family with no series yet still counts).
        public var names: Set<String> {
            var names = Set(samples.map(\.name))
            for (family, type) in types {
                names.insert(family)
                if type == "histogram" { names.formUnion(["_bucket", "_count", "_sum"].map { family + $0 }) }
                if type == "summary" { names.formUnion(["_count", "_sum"].map { family + $0 }) }
            }
            return names
        }
    }

    public static func parse(_ text: String) -> Exposition {
        var exposition = Exposition(samples: [], types: [:])
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", omittingEmptySubsequences: true)
                if words.count >= 4, words[1] == "TYPE" { exposition.types[String(words[2])] = String(words[3]) }
                continue
            }
            if let sample = sample(Substring(line)) { exposition.samples.append(sample) }
        }
        return exposition
    }

    /// `name{label="value",…} value [timestamp]`.
    static func sample(_ line: Substring) -> Sample? {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard MetricName.isValid(name) else { return nil }
        rest = rest[nameEnd...]
        var labels: [Label] = []
        if rest.first == "{" {
            rest = rest.dropFirst()
            while true {
                rest = rest.drop { $0 == " " || $0 == "," }
                if rest.first == "}" {
                    rest = rest.dropFirst()
                    break
                }
                guard let equals = rest.firstIndex(of: "=") else { return nil }
                let labelName = String(rest[..<equals]).trimmingSpaces
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                var value = ""
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\"" {
                        closed = true
                        break
                    }
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
                labels.append(Label(labelName, value))
            }
        }
        let fields = rest.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = fields.first, let value = number(first) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.

    /// A label value as the text format writes it: backslash, double quote and line feed escaped, scalar by scalar
    /// (a `Character` may join a quote with a combining mark, or CR with LF); other control characters, which the
    /// format cannot escape, become U+FFFD.
    public static func escape(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\"": out.append(contentsOf: "\\\"".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value): out.append("\u{FFFD}")
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
