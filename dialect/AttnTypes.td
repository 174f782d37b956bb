//===- AttnTypes.td - attn kernel-level types --------------*- tablegen -*-===//
//
// The one type of the kernel level: a tile of a fixed shape and element
// type in shared memory or in registers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TYPES_TD
#define ATTN_TYPES_TD

include "dialect/AttnAttrs.td"
include "mlir/IR/AttrTypeBase.td"

def Attn_TileType : TypeDef<Attn_Dialect, "Tile"> {
  let mnemonic = "tile";
  let summary = "a tile of a kernel: fixed shape, element type and space";
  let description = [{
    A value of a kernel-level op: a block of rows and columns (or of rows
    only, for per-row statistics) that one thread block holds at a time,
    either staged in shared memory or distributed over the threads'
    registers. Shapes are the plan's (block_q, block_k, padded head
    dimensions, chunk, value tile), so a printed kernel shows its sizes.
    `!attn.tile<[64, 64], bf16, shared>`, `!attn.tile<[64], f32, fragment>`
  }];
  let parameters = (ins ArrayRefParameter<"int64_t", "shape">:$shape,
                        "::mlir::Type":$elementType,
                        EnumParameter<Attn_TileSpaceEnum>:$space);
  let assemblyFormat = "`<` `[` $shape `]` `,` $elementType `,` $space `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRows() const { return getShape()[0]; }
    int64_t getCols() const { return getShape().size() > 1 ? getShape()[1] : 1; }
  }];
}

#endif // ATTN_TYPES_TD
