import Foundation
import VigilSQL

/// The state of a SQL alert (Databricks' `AlertEvaluationState`).
public enum SQLAlertState: String, Sendable, CaseIterable {
    case unknown = "UNKNOWN", ok = "OK", triggered = "TRIGGERED", error = "ERROR"
}

/// What a SQL alert checks: its `evaluation` (source column, optional aggregation, comparison, threshold, what an
/// empty result means), as a pure function of a query's result.
public struct SQLAlertCondition: Sendable, Equatable {
    public enum Aggregation: String, Sendable, CaseIterable {
        case sum = "SUM", count = "COUNT", countDistinct = "COUNT_DISTINCT", avg = "AVG", median = "MEDIAN", min = "MIN", max = "MAX", stddev = "STDDEV"
    }

    public enum Operator: String, Sendable, CaseIterable {
        case greaterThan = "GREATER_THAN", greaterThanOrEqual = "GREATER_THAN_OR_EQUAL", lessThan = "LESS_THAN"
        case lessThanOrEqual = "LESS_THAN_OR_EQUAL", equal = "EQUAL", notEqual = "NOT_EQUAL", isNull = "IS_NULL", isNotNull = "IS_NOT_NULL"

        public var needsThreshold: Bool { self != .isNull && self != .isNotNull }
    }

    public enum Value: Sendable, Equatable {
        case double(Double), string(String), bool(Bool)
    }

    public enum Threshold: Sendable, Equatable {
        case value(Value)
        case column(name: String, aggregation: Aggregation?)
    }

    public struct Operand: Sendable, Equatable {
        public var column: String
        public var aggregation: Aggregation?
        public init(column: String, aggregation: Aggregation? = nil) {
            self.column = column
            self.aggregation = aggregation
        }
    }

    public var source: Operand
    public var comparison: Operator
    public var threshold: Threshold?
    public var emptyResultState: SQLAlertState

    public init(source: Operand, comparison: Operator, threshold: Threshold?, emptyResultState: SQLAlertState = .ok) {
        self.source = source
        self.comparison = comparison
        self.threshold = threshold
        self.emptyResultState = emptyResultState
    }

    public struct Outcome: Sendable, Equatable {
        public var state: SQLAlertState
        /// The source's value as text (null when it is null), for notifications and the history.
        public var value: String?
        public var error: String?
    }

    /// The state a result puts the alert in: TRIGGERED when the comparison holds, OK when it does not, the
    /// configured state for no rows, ERROR (with the reason) when a column is missing or a value cannot be compared.
    public func evaluate(columns: [String], rows: [[SQLValue]]) -> Outcome {
        guard !rows.isEmpty else { return Outcome(state: emptyResultState, value: nil, error: nil) }
        do {
            let value = try operand(source, columns: columns, rows: rows)
            let holds: Bool
            switch comparison {
            case .isNull: holds = value == nil
            case .isNotNull: holds = value != nil
            default:
                guard let value else { return Outcome(state: .ok, value: nil, error: nil) }
                let limit: Value
                switch threshold {
                case .value(let given)?: limit = given
                case .column(let name, let aggregation)?:
                    guard let other = try operand(Operand(column: name, aggregation: aggregation), columns: columns, rows: rows) else {
                        return Outcome(state: .ok, value: Self.text(value), error: nil)
                    }
                    limit = other
                case nil: throw Failure("the comparison \(comparison.rawValue) needs a threshold")
                }
                holds = try Self.compare(value, comparison, limit)
            }
            return Outcome(state: holds ? .triggered : .ok, value: value.map(Self.text), error: nil)
        } catch let failure as Failure {
            return Outcome(state: .error, value: nil, error: failure.message)
        } catch {
            return Outcome(state: .error, value: nil, error: "\(error)")
        }
    }

    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    func operand(_ operand: Operand, columns: [String], rows: [[SQLValue]]) throws -> Value? {
        guard let index = columns.firstIndex(where: { $0.lowercased() == operand.column.lowercased() }) else {
            throw Failure("the query's result has no column '\(operand.column)' (it has \(columns.joined(separator: ", ")))")
        }
        let values = rows.map { $0[index] }
        guard let aggregation = operand.aggregation else { return Self.value(values[0]) }
        let present = values.compactMap(Self.value)
        switch aggregation {
        case .count: return .double(Double(present.count))
        case .countDistinct: return .double(Double(Set(present.map(Self.text)).count))
        case .min, .max:
            if present.isEmpty { return nil }
            if let numbers = try? present.map(Self.number) {
                return .double(aggregation == .min ? numbers.min()! : numbers.max()!)
            }
            let texts = present.map(Self.text)
            return .string(aggregation == .min ? texts.min()! : texts.max()!)
        case .sum, .avg, .median, .stddev:
            if present.isEmpty { return aggregation == .sum ? .double(0) : nil }
            let numbers = try present.map(Self.number)
            switch aggregation {
            case .sum: return .double(numbers.reduce(0, +))
            case .avg: return .double(numbers.reduce(0, +) / Double(numbers.count))
            case .median:
                let sorted = numbers.sorted()
                let middle = sorted.count / 2
                return .double(sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2)
            default:
                // The sample standard deviation, as Spark's stddev; null for a single value.
                guard numbers.count > 1 else { return nil }
                let mean = numbers.reduce(0, +) / Double(numbers.count)
                return .double((numbers.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(numbers.count - 1)).squareRoot())
            }
        }
    }

    static func value(_ sql: SQLValue) -> Value? {
        switch sql {
        case .null: nil
        case .integer(let number): .double(Double(number))
        case .real(let number): .double(number)
        case .text(let text): .string(text)
        }
    }

    static func number(_ value: Value) throws -> Double {
        switch value {
        case .double(let number): return number
        case .bool(let flag): return flag ? 1 : 0
        case .string(let text):
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)) else { throw Failure("'\(text.prefix(64))' is not a number") }
            return number
        }
    }

    static func text(_ value: Value) -> String {
        switch value {
        case .double(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        }
    }

    static func compare(_ value: Value, _ comparison: Operator, _ limit: Value) throws -> Bool {
        let order: ComparisonResult
        switch limit {
        case .double(let bound):
            let number = try number(value)
            order = number < bound ? .orderedAscending : number > bound ? .orderedDescending : .orderedSame
        case .bool(let bound):
            let flag: Bool
            switch value {
            case .bool(let given): flag = given
            case .double(let number): flag = number != 0
            case .string(let text):
                guard let parsed = Bool(text.lowercased()) else { throw Failure("'\(text.prefix(64))' is not true or false") }
                flag = parsed
            }
            guard comparison == .equal || comparison == .notEqual else { throw Failure("a boolean threshold takes EQUAL or NOT_EQUAL only") }
            order = flag == bound ? .orderedSame : .orderedAscending
        case .string(let bound):
            let text = text(value)
            order = text < bound ? .orderedAscending : text > bound ? .orderedDescending : .orderedSame
        }
        switch comparison {
        case .greaterThan: return order == .orderedDescending
        case .greaterThanOrEqual: return order != .orderedAscending
        case .lessThan: return order == .orderedAscending
        case .lessThanOrEqual: return order != .orderedDescending
        case .equal: return order == .orderedSame
        case .notEqual: return order != .orderedSame
        case .isNull, .isNotNull: return false
        }
    }

    /// What to send after an evaluation: a firing notification when the alert becomes TRIGGERED (again after
    /// `retriggerSeconds` while it stays so; never again when 0), a resolved one when it returns to OK and
    /// `notifyOnOK` is set.
    public enum Notice: Sendable, Equatable { case none, firing, resolved }

    public static func notice(previous: SQLAlertState, next: SQLAlertState, lastFiringNoticeMillis: Int64?, now: Int64,
                              retriggerSeconds: Int64, notifyOnOK: Bool) -> Notice {
        switch (previous, next) {
        case (_, .triggered) where previous != .triggered: return .firing
        case (.triggered, .triggered):
            guard retriggerSeconds > 0, let last = lastFiringNoticeMillis, (now - last) / 1000 >= retriggerSeconds else { return .none }
            return .firing
        case (.triggered, .ok): return notifyOnOK ? .resolved : .none
        default: return .none
        }
    }
}
