// LakeFormats/Parquet/Nested/NestedSchema.swift
//
// A file's schema as a tree (from the flat, depth-first SchemaElement list: a group says how many
// children follow it) and, per top-level column, the shape record assembly follows.
//
// Lists and maps (parquet-format LogicalTypes.md "Nested Types", with its backward-compatibility
// rules):
//   <list> group (LIST) { repeated group list { <element> } }          standard 3-level list
//   <list> group (LIST) { repeated <primitive or multi-field group> }   legacy 2-level list
//   <list> group (LIST) { repeated group array|<list>_tuple { … } }     legacy: the group is the element
//   <map>  group (MAP | MAP_KEY_VALUE) { repeated group key_value { key; [value] } }
//   repeated <field> outside such a group                               a list of required fields
//
// Levels: a node's definition level counts the optional and repeated nodes from the root down
// to it (itself included); its repetition level counts the repeated ones.

/// A node of a file's schema tree.
final class SchemaNode {
  let element: SchemaElement
  var children: [SchemaNode] = []
  let repetition: Repetition
  /// Definition level at which this node is defined (present).
  var definition = 0
  /// Repetition level of this node.
  var repetitionLevel = 0
  /// For leaves: the index of the leaf column in the file's column order, and its mapping.
  var leafIndex = -1
  var leaf: ParquetLeaf?

  init(_ e: SchemaElement) {
    element = e
    repetition = e.repetition.flatMap(Repetition.init) ?? .optional
  }

  var name: String { element.name }
  var isGroup: Bool { element.numChildren != nil && element.type == nil }
  var isList: Bool {
    element.logicalType == .list || element.convertedType == ConvertedType.list.rawValue
  }
  var isMap: Bool {
    element.logicalType == .map || element.convertedType == ConvertedType.map.rawValue
      || element.convertedType == ConvertedType.mapKeyValue.rawValue
  }

  /// The leaf nodes under this one, in file order.
  func leaves(into out: inout [SchemaNode]) {
    if !isGroup {
      out.append(self)
    } else {
      for c in children { c.leaves(into: &out) }
    }
  }
}

/// How to assemble values of one part of a column from its leaves' levels.
indirect enum NestedShape {
  /// A leaf column: `column` indexes the leaves read; present when definition == `definition`
  /// (its maximum), null when one below and nullable.
  case leaf(column: Int, definition: Int, type: ColumnType)
  /// A record; null when nullable and the first leaf's definition is below `definition`.
  case record(fields: [NestedShape], definition: Int, nullable: Bool, first: Int, leaves: [Int])
  /// A list (or map, when `isMap`: elements are key-value records): null below `definition`
  /// (when nullable), empty below `elementDefinition`; its elements repeat at `repetition`.
  case list(
    element: NestedShape, definition: Int, nullable: Bool, elementDefinition: Int,
    repetition: Int, isMap: Bool, first: Int, leaves: [Int])
  /// A part left out of the projection: always null, reads nothing.
  case skipped
}

/// A file's schema tree and the fields lh sees.
struct NestedSchema {
  let roots: [SchemaNode]
  /// Every leaf in file (column chunk) order.
  let leaves: [SchemaNode]

  init(_ elements: [SchemaElement]) throws {
    guard let root = elements.first else { throw ParquetError.corrupt("empty schema") }
    var at = 1
    func build(_ count: Int, depth: Int) throws -> [SchemaNode] {
      guard depth < 64 else { throw ParquetError.unsupported("schema nested over 64 deep") }
      var out: [SchemaNode] = []
      for _ in 0..<count {
        guard at < elements.count else {
          throw ParquetError.corrupt("schema has fewer elements than its groups claim")
        }
        let node = SchemaNode(elements[at])
        at += 1
        if node.isGroup {
          let n = Int(node.element.numChildren ?? 0)
          guard n >= 0, n <= elements.count - at else {
            throw ParquetError.corrupt("group '\(node.name)' claims \(n) children")
          }
          node.children = try build(n, depth: depth + 1)
        }
        out.append(node)
      }
      return out
    }
    let count = Int(root.numChildren ?? 0)
    guard count >= 0, count <= elements.count - 1 else {
      throw ParquetError.corrupt("schema root claims \(count) children")
    }
    roots = try build(count, depth: 0)
    guard at == elements.count else {
      throw ParquetError.corrupt("schema has \(elements.count - at) elements outside its tree")
    }
    var leaves: [SchemaNode] = []
    for r in roots { r.leaves(into: &leaves) }
    self.leaves = leaves
    func levels(_ n: SchemaNode, _ d: Int, _ r: Int) {
      n.definition = d + (n.repetition == .required ? 0 : 1)
      n.repetitionLevel = r + (n.repetition == .repeated ? 1 : 0)
      for c in n.children { levels(c, n.definition, n.repetitionLevel) }
    }
    for r in roots { levels(r, 0, 0) }
    for (i, l) in leaves.enumerated() {
      l.leafIndex = i
      guard l.definition <= 1000, l.repetitionLevel <= 1000 else {
        throw ParquetError.unsupported("nesting deeper than 1000 levels").at(column: l.name)
      }
    }
  }

  /// The lh field of a top-level node.
  func field(_ node: SchemaNode) throws -> NestedField {
    if node.repetition == .repeated {
      return NestedField(
        node.name, .list(element: try baseField(node, nullable: false)), nullable: false)
    }
    return try baseField(node, nullable: node.repetition == .optional)
  }

  /// The field of `node` ignoring that it may be repeated.
  func baseField(_ node: SchemaNode, nullable: Bool) throws -> NestedField {
    if !node.isGroup {
      var e = node.element
      e.repetition = Repetition.optional.rawValue
      let leaf = try ParquetSchemaMapping.leaf(e)
      node.leaf = leaf
      return NestedField(node.name, .leaf(leaf.spec.type), nullable: nullable)
    }
    if node.isMap, let kv = node.children.first, node.children.count == 1,
      kv.repetition == .repeated, kv.isGroup, (1...2).contains(kv.children.count)
    {
      let key = try childField(kv.children[0])
      let value =
        kv.children.count == 2
        ? try childField(kv.children[1]) : NestedField("value", .leaf(.boolean), nullable: true)
      return NestedField(node.name, .map(key: key, value: value), nullable: nullable)
    }
    if node.isList, let r = node.children.first, node.children.count == 1,
      r.repetition == .repeated
    {
      if let element = Self.threeLevelElement(list: node, repeated: r) {
        return NestedField(
          node.name, .list(element: try childField(element)), nullable: nullable)
      }
      return NestedField(
        node.name, .list(element: try baseField(r, nullable: false)), nullable: nullable)
    }
    guard !node.children.isEmpty else {
      throw ParquetError.unsupported("empty group").at(column: node.name)
    }
    return NestedField(
      node.name, .record(try node.children.map(childField)), nullable: nullable)
  }

  /// The field of a node below the top (a repeated one is a list of itself).
  func childField(_ node: SchemaNode) throws -> NestedField {
    try field(node)
  }

  /// The element node of a standard 3-level list, or nil when `repeated` is itself the element
  /// (legacy 2-level lists, by the backward-compatibility rules).
  static func threeLevelElement(list: SchemaNode, repeated r: SchemaNode) -> SchemaNode? {
    guard r.isGroup, r.children.count == 1 else { return nil }
    if r.name == "array" || r.name == list.name + "_tuple" { return nil }
    return r.children[0]
  }

  /// The assembly shape of `node` (a top-level column or a part of one), reading only leaves
  /// for which `selected` holds; `columns` maps file leaf indices to the leaves read.
  func shape(_ node: SchemaNode, selected: (SchemaNode) -> Bool, columns: [Int: Int])
    -> NestedShape
  {
    if node.repetition == .repeated {
      let element = baseShape(node, nullable: false, selected: selected, columns: columns)
      return wrapList(
        element, definition: node.definition - 1, nullable: false,
        elementDefinition: node.definition, repetition: node.repetitionLevel, isMap: false)
    }
    return baseShape(
      node, nullable: node.repetition == .optional, selected: selected, columns: columns)
  }

  func baseShape(
    _ node: SchemaNode, nullable: Bool, selected: (SchemaNode) -> Bool, columns: [Int: Int]
  ) -> NestedShape {
    guard selected(node) else { return .skipped }
    if !node.isGroup {
      guard let c = columns[node.leafIndex], let leaf = node.leaf else { return .skipped }
      return .leaf(column: c, definition: node.definition, type: leaf.spec.type)
    }
    if node.isMap, let kv = node.children.first, node.children.count == 1,
      kv.repetition == .repeated, kv.isGroup, (1...2).contains(kv.children.count)
    {
      var fields = kv.children.map { shape($0, selected: selected, columns: columns) }
      if fields.count == 1 { fields.append(.skipped) }
      let entry = Self.record(fields, definition: kv.definition, nullable: false)
      return wrapList(
        entry, definition: node.definition, nullable: nullable,
        elementDefinition: kv.definition, repetition: kv.repetitionLevel, isMap: true)
    }
    if node.isList, let r = node.children.first, node.children.count == 1,
      r.repetition == .repeated
    {
      let element: NestedShape
      if let e = Self.threeLevelElement(list: node, repeated: r) {
        element = shape(e, selected: selected, columns: columns)
      } else {
        element = baseShape(r, nullable: false, selected: selected, columns: columns)
      }
      return wrapList(
        element, definition: node.definition, nullable: nullable,
        elementDefinition: r.definition, repetition: r.repetitionLevel, isMap: false)
    }
    let fields = node.children.map { shape($0, selected: selected, columns: columns) }
    return Self.record(fields, definition: node.definition, nullable: nullable)
  }

  static func leaves(of s: NestedShape) -> [Int] {
    switch s {
    case .leaf(let c, _, _): [c]
    case .record(_, _, _, _, let l), .list(_, _, _, _, _, _, _, let l): l
    case .skipped: []
    }
  }

  static func record(_ fields: [NestedShape], definition: Int, nullable: Bool) -> NestedShape {
    let leaves = fields.flatMap(Self.leaves(of:))
    guard let first = leaves.first else { return .skipped }
    return .record(
      fields: fields, definition: definition, nullable: nullable, first: first, leaves: leaves)
  }

  func wrapList(
    _ element: NestedShape, definition: Int, nullable: Bool, elementDefinition: Int,
    repetition: Int, isMap: Bool
  ) -> NestedShape {
    let leaves = Self.leaves(of: element)
    guard let first = leaves.first else { return .skipped }
    return .list(
      element: element, definition: definition, nullable: nullable,
      elementDefinition: elementDefinition, repetition: repetition, isMap: isMap, first: first,
      leaves: leaves)
  }
}
