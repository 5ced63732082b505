"""Politikerchecklistan: questions a board should ask about mental-health work (needs
known, goals set, indicators followed, joint plan agreed, user participation, SIP in use…)
as data, answered per kommun or region by its politicians, with a one-page report that
links each answer to the evidence in the platform, comparable across units.
"""
