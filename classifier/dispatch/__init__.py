"""Dispatch (智能派单): recommend the unit that must handle a complaint."""
