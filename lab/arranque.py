"""arranque.py: cómo arrancan los scripts de la práctica.

Lo usan los servidores y los clientes; no se ejecuta solo.

Todos usan 127.0.0.1 y el puerto 5050, o el que se da como primer
argumento (`py servidor.py 5051`); `--help` explica las opciones de cada uno.
Un puerto fuera de 1..65535 es un error de uso: argparse lo dice en una
línea y el script termina con el código 2, sin traza de Python.

El puerto por defecto es 5050 y no 8080: Wireshark toma el 8080 por HTTP y
esconde el mensaje tras «[TCP segment of a reassembled PDU]».
"""

import argparse

from mostrar import preparar_salida


def opciones_con_puerto(descripcion, ayuda_puerto="el puerto del servidor en 127.0.0.1"):
    """Las opciones comunes: el puerto, como primer argumento; cada script añade las suyas."""
    analizador = argparse.ArgumentParser(description=descripcion)
    analizador.add_argument("puerto", nargs="?", type=numero_de_puerto, default=5050,
                            help=f"{ayuda_puerto} (por defecto, 5050)")
    return analizador


def numero_de_puerto(texto):
    """Un puerto, de 1 a 65535: lo que no lo es, argparse lo muestra como error de uso."""
    if not (texto.isascii() and texto.isdigit() and 0 < int(texto) < 65536):
        raise argparse.ArgumentTypeError(f"el puerto va de 1 a 65535, no {texto}")
    return int(texto)


def opciones_de_cliente(descripcion, mensaje="Hola, servidor!", ayuda=None):
    """Las opciones de un cliente: el puerto del servidor y el texto que envía."""
    analizador = opciones_con_puerto(descripcion)
    analizador.add_argument("mensaje", nargs="?", default=mensaje,
                            help=ayuda or f'el texto que envía (por defecto, "{mensaje}")')
    return analizador


def servir(servidor, descripcion):
    """Lee el puerto y ejecuta servidor(puerto=...) hasta que termina o llega Ctrl+C."""
    preparar_salida()
    args = opciones_con_puerto(descripcion, "el puerto en el que escucha").parse_args()
    try:
        servidor(puerto=args.puerto)
    except KeyboardInterrupt:                    # Ctrl+C, también nada más arrancar
        print("Servidor detenido", flush=True)
