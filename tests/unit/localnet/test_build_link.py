"""localnet.build end to end: output ELF shape, refusals, determinism, caching, compiler errors."""

from __future__ import annotations

import shutil
from io import BytesIO
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from localnet.build import (
    BuildError,
    LinkError,
    build_c_sources,
    build_program,
    compile_c,
    find_compiler,
    link_objects,
    verify_sbf,
)
from localnet.build import compiler

from .conftest import COMMON_INCLUDE, FEATURE_SOURCES, SBF_FIXTURES

MM_PROGRAM_START = 0x1_0000_0000


def build_fixture(name: str, tmp_path: Path) -> Path:
    return build_c_sources(
        [SBF_FIXTURES / name], tmp_path / (Path(name).stem + ".so"), [COMMON_INCLUDE]
    )


def test_find_compiler_prefers_clang19_else_ziglang():
    argv = find_compiler()
    if shutil.which("clang-19"):
        assert argv == ["clang-19"]
    else:
        assert argv[1:] == ["-m", "ziglang", "cc"]


def test_shared_object_shape(features_so):
    elf = ELFFile(BytesIO(features_so))
    assert (elf["e_type"], elf["e_machine"], elf["e_flags"]) == ("ET_DYN", "EM_BPF", 0)
    names = [s.name for s in elf.iter_sections()]
    assert names == [
        "",
        ".text",
        ".rodata",
        ".dynamic",
        ".dynsym",
        ".dynstr",
        ".rel.dyn",
        ".shstrtab",
    ]
    for section in list(elf.iter_sections())[1:-1]:
        assert section["sh_addr"] == section["sh_offset"], section.name
    segments = [(p["p_type"], p["p_flags"]) for p in elf.iter_segments()]
    assert segments == [("PT_LOAD", 5), ("PT_LOAD", 4), ("PT_DYNAMIC", 4)]
    dynsym = {s.name: s for s in elf.get_section_by_name(".dynsym").iter_symbols()}
    assert dynsym["entrypoint"]["st_value"] == elf["e_entry"]
    assert {"sol_log_", "sol_log_64_", "sol_sha256", "sol_invoke_signed_c"} <= set(dynsym)
    relocs = list(elf.get_section_by_name(".rel.dyn").iter_relocations())
    assert relocs and all(r["r_info_type"] == 10 for r in relocs)
    text = elf.get_section_by_name(".text")
    assert all(
        text["sh_offset"] <= r["r_offset"] < text["sh_offset"] + text["sh_size"] for r in relocs
    )
    tags = {t.entry.d_tag for t in elf.get_section_by_name(".dynamic").iter_tags()}
    assert {"DT_REL", "DT_RELSZ", "DT_RELENT", "DT_SYMTAB", "DT_STRTAB", "DT_STRSZ"} <= tags
    verify_sbf(features_so)


def test_rodata_pointer_tables_hold_absolute_addresses(features_so):
    elf = ELFFile(BytesIO(features_so))
    text, rodata = elf.get_section_by_name(".text"), elf.get_section_by_name(".rodata")
    words = [
        int.from_bytes(rodata.data()[i : i + 8], "little")
        for i in range(0, rodata["sh_size"] - 7, 8)
    ]
    code = range(
        MM_PROGRAM_START + text["sh_offset"], MM_PROGRAM_START + text["sh_offset"] + text["sh_size"]
    )
    data = range(
        MM_PROGRAM_START + rodata["sh_offset"],
        MM_PROGRAM_START + rodata["sh_offset"] + rodata["sh_size"],
    )
    assert sum(w in code for w in words) >= 4  # the four operator functions
    assert sum(w in data for w in words) >= 3  # the three greeting strings


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("refuse_data.c", "writable global `counter` in .data"),
        ("refuse_bss.c", "writable global `scratch` in .bss"),
        ("refuse_syscall.c", "`sol_launch_missiles_`"),
        ("refuse_no_entrypoint.c", "no `entrypoint`"),
    ],
)
def test_link_refusals(fixture, expected, tmp_path):
    with pytest.raises(LinkError) as info:
        build_fixture(fixture, tmp_path)
    assert expected in str(info.value)
    assert not (tmp_path / (Path(fixture).stem + ".so")).exists()


def test_unknown_syscall_refusal_names_call_site(tmp_path):
    obj = tmp_path / "s.o"
    compile_c(SBF_FIXTURES / "refuse_syscall.c", obj, [COMMON_INCLUDE])
    with pytest.raises(
        LinkError,
        match=r"\.text\+0x[0-9a-f]+ \(in `entrypoint`\+0x[0-9a-f]+\).*not a known Solana syscall",
    ):
        link_objects([obj.read_bytes()])


def test_compiler_error_carries_compiler_message(tmp_path):
    with pytest.raises(BuildError) as info:
        build_fixture("refuse_compile_error.c", tmp_path)
    assert not isinstance(info.value, LinkError)
    message = str(info.value)
    assert (
        "refuse_compile_error.c" in message
        and "undeclared_helper" in message
        and "error" in message
    )
    assert "Traceback" not in message


def test_alu32_and_jmp32_from_cpu_v3_are_refused(tmp_path, monkeypatch):
    assert build_fixture("alu32.c", tmp_path).is_file()  # fine with -mcpu=v2
    monkeypatch.setattr(compiler, "CPU", "v3")
    with pytest.raises(LinkError) as info:
        build_c_sources([SBF_FIXTURES / "alu32.c"], tmp_path / "v3.so", [COMMON_INCLUDE])
    message = str(info.value)
    assert "in `entrypoint`" in message and "-mcpu=v2" in message
    assert "32-bit ALU" in message and "32-bit conditional jump" in message


def test_build_is_deterministic_across_locations(tmp_path):
    images = []
    for where in ("a", "b/deeper"):
        tree = tmp_path / where
        (tree / "src").mkdir(parents=True)
        for name in ("features.c", "features_helper.c", "features.h"):
            shutil.copy(SBF_FIXTURES / name, tree / "src" / name)
        shutil.copytree(COMMON_INCLUDE, tree / "include")
        sources = [tree / "src" / "features.c", tree / "src" / "features_helper.c"]
        images.append(
            build_c_sources(sources, tree / "out" / "features.so", [tree / "include"]).read_bytes()
        )
    assert images[0] == images[1]
    direct = build_c_sources(FEATURE_SOURCES, tmp_path / "direct.so", [COMMON_INCLUDE]).read_bytes()
    assert direct == images[0]


def _program_tree(root: Path) -> None:
    program = root / "programs" / "demo"
    (program / "include").mkdir(parents=True)
    for name in ("features.c", "features_helper.c", "features.h"):
        shutil.copy(SBF_FIXTURES / name, program / name)
    shutil.copytree(COMMON_INCLUDE, root / "programs" / "common" / "include")


def test_build_program_caches_on_content_hash(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    _program_tree(root)
    so = build_program("demo", root=root)
    assert so == root / "build" / "programs" / "demo.so"
    assert (so.parent / "demo.so.stamp").is_file()
    first = so.read_bytes()
    verify_sbf(first)

    def no_compiling(*args, **kwargs):
        raise AssertionError("cache miss")

    monkeypatch.setattr(compiler, "compile_c", no_compiling)
    assert build_program("demo", root=root) == so
    (root / "programs" / "demo" / "include" / "extra.h").write_text("/* new header */\n")
    with pytest.raises(AssertionError, match="cache miss"):
        build_program("demo", root=root)
    monkeypatch.undo()
    assert build_program("demo", root=root).read_bytes() == first
    other = build_program("demo", root=root, out_dir=tmp_path / "elsewhere")
    assert other == tmp_path / "elsewhere" / "demo.so" and other.read_bytes() == first


def test_build_program_without_sources(tmp_path):
    with pytest.raises(BuildError, match="no C sources"):
        build_program("missing", root=tmp_path)


def test_duplicate_definitions_are_refused(tmp_path):
    sources = [*FEATURE_SOURCES, SBF_FIXTURES / "features_helper.c"]
    with pytest.raises(LinkError, match="duplicate symbol `helper_"):
        build_c_sources(sources, tmp_path / "dup.so", [COMMON_INCLUDE])
