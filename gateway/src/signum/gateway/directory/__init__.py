"""The directory: dependencias, unidades administrativas, puestos, funcionarios and suplencias."""
