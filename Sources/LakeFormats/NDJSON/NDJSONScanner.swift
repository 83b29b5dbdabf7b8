// LakeFormats/NDJSON/NDJSONScanner.swift
//
// The byte scanner every stage uses to read an NDJSON line: one pass over the line that
// validates all of it against RFC 8259 (https://www.rfc-editor.org/rfc/rfc8259) and reports the
// members of its top-level object as byte spans (``JSONField``). Nothing is copied or decoded;
// a stage decodes only the values it needs, with ``JSONValue``. No Foundation, no allocation per
// line: the caller's `fields` array keeps its capacity from line to line.
//
//   JSON-text       = ws object ws                 (an NDJSON line must hold an object)
//   object          = begin-object [ member *( value-separator member ) ] end-object
//   member          = string name-separator value
//   array           = begin-array [ value *( value-separator value ) ] end-array
//   value           = false / null / true / object / array / number / string
//   begin-object    = ws %x7B ws   end-object      = ws %x7D ws
//   begin-array     = ws %x5B ws   end-array       = ws %x5D ws
//   name-separator  = ws %x3A ws   value-separator = ws %x2C ws
//
// Tokens (strings, numbers, literals) are in JSONLexer.swift. Nested objects and arrays are
// validated without recursion, with a bit stack (1 = object, 0 = array, one bit per level), so
// a hostile line cannot overflow the stack; deeper nesting is an error (RFC 8259 section 9 lets
// a parser limit depth). The top-level object is depth 1.
//
//   var scanner = NDJSONScanner()
//   var fields: [JSONField] = []
//   try bytes.withUnsafeBytes { line in
//     try scanner.scan(line, into: &fields)
//     if let k = fields.firstIndex(ofKey: "user_id", in: line) {
//       let id = JSONValue.int64(fields[k].valueBytes(in: line))
//     }
//   }
//
// A trailing "\r" (from "\r\n" line ends) is JSON whitespace, so it is accepted like any other.

/// Scans and validates NDJSON lines, one JSON object per line, reporting top-level members.
public struct NDJSONScanner: Sendable {
  /// The deepest nesting accepted; the top-level object counts as 1.
  public let maxDepth: Int
  /// One bit per open nested container: 1 for an object, 0 for an array; grows on demand, so a
  /// large `maxDepth` costs nothing until a line nests that deep.
  private var containerBits: [UInt64] = [0]

  /// Creates a scanner that accepts nesting up to `maxDepth` levels (at least 1: flat objects).
  public init(maxDepth: Int = 64) {
    self.maxDepth = max(1, maxDepth)
  }

  /// Scans one line holding one JSON object into `fields`.
  ///
  /// `fields` is emptied first and keeps its capacity. The whole line is validated strictly:
  /// string escapes and surrogate pairs, UTF-8 (no overlong forms, surrogates, code points above
  /// U+10FFFF or truncated sequences), the number grammar, nesting up to ``maxDepth``, and
  /// nothing but whitespace after the object. Duplicate keys are all reported, in order.
  ///
  /// - Parameters:
  ///   - line: The line's bytes without the newline; a trailing `\r` is accepted.
  ///   - fields: Receives one ``JSONField`` per member of the top-level object.
  /// - Throws: ``JSONSyntaxError`` with the offset of the first problem; `fields` then holds the
  ///   members read before it.
  public mutating func scan(_ line: UnsafeRawBufferPointer, into fields: inout [JSONField])
    throws(JSONSyntaxError)
  {
    fields.removeAll(keepingCapacity: true)
    guard let base = line.baseAddress else {
      throw JSONSyntaxError(offset: 0, message: "empty line")
    }
    let p = base.assumingMemoryBound(to: UInt8.self)
    let n = line.count
    var i = JSONLexer.skipWhitespace(p, n, 0)
    guard i < n else { throw JSONSyntaxError(offset: i, message: "empty line") }
    guard p[i] == 0x7B else {
      throw JSONSyntaxError(offset: i, message: "expected '{': a line must hold a JSON object")
    }
    i = JSONLexer.skipWhitespace(p, n, i &+ 1)
    if i < n && p[i] == 0x7D {
      i &+= 1
    } else {
      while true {
        guard i < n, p[i] == JSONLexer.quote else {
          throw JSONSyntaxError(offset: i, message: "expected a string key")
        }
        let keyStart = i &+ 1
        var keyHasEscapes = false
        let keyEnd = try JSONLexer.scanString(p, n, from: keyStart, escapes: &keyHasEscapes)
        i = keyEnd &+ 1
        if i < n && p[i] == 0x3A {
          i &+= 1
        } else {
          i = JSONLexer.skipWhitespace(p, n, i)
          guard i < n, p[i] == 0x3A else {
            throw JSONSyntaxError(offset: i, message: "expected ':'")
          }
          i &+= 1
        }
        i = JSONLexer.skipWhitespace(p, n, i)
        guard i < n else { throw JSONSyntaxError(offset: i, message: "expected a value") }
        var field = JSONField(
          keyStart: keyStart, keyEnd: keyEnd, keyHasEscapes: keyHasEscapes, kind: .null,
          valueStart: i, valueEnd: i)
        switch p[i] {
        case JSONLexer.quote:
          var escapes = false
          let end = try JSONLexer.scanString(p, n, from: i &+ 1, escapes: &escapes)
          field.kind = .string
          field.valueStart = i &+ 1
          field.valueEnd = end
          field.valueHasEscapes = escapes
          i = end &+ 1
        case 0x2D, 0x30...0x39:
          i = try JSONLexer.scanNumber(p, n, from: i)
          field.kind = .number
          field.valueEnd = i
        case 0x74, 0x66, 0x6E:
          let literal = try JSONLexer.scanLiteral(p, n, at: i)
          field.kind = literal.kind
          field.boolValue = literal.value
          i = literal.end
          field.valueEnd = i
        case 0x7B:
          i = try scanNested(p, n, from: i)
          field.kind = .object
          field.valueEnd = i
        case 0x5B:
          i = try scanNested(p, n, from: i)
          field.kind = .array
          field.valueEnd = i
        default:
          throw JSONSyntaxError(offset: i, message: "expected a value")
        }
        fields.append(field)
        if i < n && p[i] == 0x2C {
          i = JSONLexer.skipWhitespace(p, n, i &+ 1)
          continue
        }
        i = JSONLexer.skipWhitespace(p, n, i)
        guard i < n else { throw JSONSyntaxError(offset: i, message: "expected ',' or '}'") }
        if p[i] == 0x2C {
          i = JSONLexer.skipWhitespace(p, n, i &+ 1)
          continue
        }
        guard p[i] == 0x7D else {
          throw JSONSyntaxError(offset: i, message: "expected ',' or '}'")
        }
        i &+= 1
        break
      }
    }
    i = JSONLexer.skipWhitespace(p, n, i)
    guard i == n else {
      throw JSONSyntaxError(offset: i, message: "unexpected bytes after the object")
    }
  }

  /// Validates the nested object or array starting at `start`; returns the index past its end.
  @inline(never)
  private mutating func scanNested(_ p: UnsafePointer<UInt8>, _ n: Int, from start: Int)
    throws(JSONSyntaxError) -> Int
  {
    var i = start
    var depth = 1  // containers open, the top-level object included
    // Each pass of `value` reads one value at `i` (whitespace already skipped).
    value: while true {
      guard i < n else { throw JSONSyntaxError(offset: i, message: "expected a value") }
      let b = p[i]
      switch b {
      case 0x7B, 0x5B:
        guard depth < maxDepth else {
          throw JSONSyntaxError(offset: i, message: "nesting deeper than \(maxDepth) levels")
        }
        let isObject = b == 0x7B
        setContainer(depth, isObject: isObject)
        depth &+= 1
        i = JSONLexer.skipWhitespace(p, n, i &+ 1)
        if i < n && p[i] == (isObject ? 0x7D : 0x5D) {
          depth &-= 1  // empty: closed at once, and it is the value just read
          i &+= 1
        } else if isObject {
          i = try scanKey(p, n, at: i)
          continue value
        } else {
          continue value
        }
      case JSONLexer.quote:
        var escapes = false
        i = try JSONLexer.scanString(p, n, from: i &+ 1, escapes: &escapes) &+ 1
      case 0x2D, 0x30...0x39:
        i = try JSONLexer.scanNumber(p, n, from: i)
      case 0x74, 0x66, 0x6E:
        i = try JSONLexer.scanLiteral(p, n, at: i).end
      default:
        throw JSONSyntaxError(offset: i, message: "expected a value")
      }
      // After a value: a separator leads to the next value, a closer pops a level.
      while true {
        if depth == 1 { return i }
        let isObject = container(depth &- 1)
        i = JSONLexer.skipWhitespace(p, n, i)
        guard i < n else {
          throw JSONSyntaxError(
            offset: i, message: isObject ? "expected ',' or '}'" : "expected ',' or ']'")
        }
        let c = p[i]
        if c == 0x2C {
          i = JSONLexer.skipWhitespace(p, n, i &+ 1)
          if isObject { i = try scanKey(p, n, at: i) }
          continue value
        }
        guard c == (isObject ? 0x7D : 0x5D) else {
          throw JSONSyntaxError(
            offset: i, message: isObject ? "expected ',' or '}'" : "expected ',' or ']'")
        }
        depth &-= 1
        i &+= 1
      }
    }
  }

  /// Reads `"key" :` at `i` inside a nested object; returns the index of the value after it.
  private func scanKey(_ p: UnsafePointer<UInt8>, _ n: Int, at start: Int)
    throws(JSONSyntaxError) -> Int
  {
    guard start < n, p[start] == JSONLexer.quote else {
      throw JSONSyntaxError(offset: start, message: "expected a string key")
    }
    var escapes = false
    var i = try JSONLexer.scanString(p, n, from: start &+ 1, escapes: &escapes) &+ 1
    i = JSONLexer.skipWhitespace(p, n, i)
    guard i < n, p[i] == 0x3A else { throw JSONSyntaxError(offset: i, message: "expected ':'") }
    return JSONLexer.skipWhitespace(p, n, i &+ 1)
  }

  private mutating func setContainer(_ level: Int, isObject: Bool) {
    let bit = UInt64(1) &<< UInt64(level & 63)
    if level >> 6 >= containerBits.count {
      containerBits.append(
        contentsOf: repeatElement(0, count: level >> 6 - containerBits.count + 1))
    }
    if isObject {
      containerBits[level >> 6] |= bit
    } else {
      containerBits[level >> 6] &= ~bit
    }
  }

  private func container(_ level: Int) -> Bool {
    containerBits[level >> 6] & (UInt64(1) &<< UInt64(level & 63)) != 0
  }
}
