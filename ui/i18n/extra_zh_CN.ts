<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Strings pyside6-lupdate cannot find (translated through a helper whose argument is not a literal, e.g.
     ui/source_label.py's _t). Kept by hand; update_translations.sh compiles it into qwenrag_zh_CN.qm.
     Prefer literal tr("…") / QCoreApplication.translate("Ctx", "…") calls so lupdate finds them. -->
<TS version="2.1" language="zh_CN">
<context>
    <name>SourceLabels</name>
    <message><source>p. %1 (%2)</source><translation>第 %1 页（%2）</translation></message>
    <message><source>p. %1</source><translation>第 %1 页</translation></message>
    <message><source>table %1</source><translation>表 %1</translation></message>
    <message><source>¶%1</source><translation>第 %1 段</translation></message>
    <message><source>row %1</source><translation>第 %1 行</translation></message>
    <message><source>rows %1–%2</source><translation>第 %1–%2 行</translation></message>
    <message><source>line %1</source><translation>第 %1 行</translation></message>
    <message><source>lines %1–%2</source><translation>第 %1–%2 行</translation></message>
    <message><source>, </source><translation>，</translation></message>
</context>
</TS>
