"""Library notes for a person (not file problems): what happened to a file or to the library and why.

English and Simplified Chinese, the language chosen as in indexing.messages.
"""

from __future__ import annotations

from indexing.messages import current_language

_NOTES: dict[str, dict[str, str]] = {
    "en": {
        "vanished": "The file is no longer there (deleted or moved), so it left the library.",
        "kept": "The previously indexed version stays searchable.",
        "waiting": "Another QwenRAG process is changing this library; waiting for it to finish…",
        "busy": "Another QwenRAG process is changing this library; try again when it has finished.",
        "rebuilt": "The search index was damaged or out of date ({reason}) and has been rebuilt from the "
        "library: {passages} passages.",
        "damaged": "The search index of the library at {folder} is damaged ({reason}). Repair it with: "
        "qwenrag repair --library \"{folder}\"",
        "store_damaged": "The library database {path} is damaged ({reason}); it cannot be repaired "
        "automatically. Move the folder {folder} aside and add your documents again.",
        "reason_open": "it could not be opened",
        "reason_search": "a search failed",
        "reason_version": "the search analyzer changed",
        "reason_request": "repair requested",
    },
    "zh": {
        "vanished": "文件已不在原处（已删除或移动），已从资料库移除。",
        "kept": "之前索引的版本仍可搜索。",
        "waiting": "另一个 QwenRAG 进程正在修改此资料库，正在等待它完成…",
        "busy": "另一个 QwenRAG 进程正在修改此资料库，请在它完成后重试。",
        "rebuilt": "搜索索引已损坏或过期（{reason}），已从资料库重建：{passages} 个段落。",
        "damaged": "资料库 {folder} 的搜索索引已损坏（{reason}）。修复方法：qwenrag repair --library \"{folder}\"",
        "store_damaged": "资料库数据库 {path} 已损坏（{reason}），无法自动修复。请将文件夹 {folder} 移到别处，"
        "然后重新添加文档。",
        "reason_open": "无法打开",
        "reason_search": "搜索失败",
        "reason_version": "搜索分析器已更改",
        "reason_request": "按要求修复",
    },
}


def note(key: str, **values: object) -> str:
    table = _NOTES.get(current_language(), _NOTES["en"])
    return table[key].format(**values)
