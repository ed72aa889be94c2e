"""cliente.py: el cliente bloqueante de la práctica.

Cómo ejecutarlo (en otro terminal, con el servidor ya en marcha):

    py cliente.py                     # envía "Hola, servidor!" a 127.0.0.1:5050
    py cliente.py 9000 "otro texto"   # otro puerto y otro mensaje
    py cliente.py --help

Funciona con `servidor.py`, `servidor_hilos.py`, `servidor_selectors.py` y
con `sockmodes server` (servicio message, cualquier --mode). Cierra en
cuanto ha enviado: en Wireshark, el primer FIN es el suyo.

Si lo ejecutas ANTES que el servidor, connect() falla (en Linux en el acto;
en Windows tras unos 2 s, porque vuelve a enviar el SYN) con
ConnectionRefusedError ([WinError 10061] en Windows, [Errno 111] en Linux,
[Errno 61] en macOS): nadie escucha en el puerto y el sistema responde al
SYN con un RST. Mira ese RST en Wireshark (docs/guia.md, sección 2).
"""

import socket

from arranque import opciones_de_cliente


def cliente(mensaje, host="127.0.0.1", puerto=5050):
    # Crear un socket TCP/IP
    cliente_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

    # Establecer el socket como bloqueante
    cliente_socket.setblocking(True)

    # Conectar el socket al servidor: se bloquea hasta que termina el saludo en tres pasos
    cliente_socket.connect((host, puerto))
    print(f"Conectado a {host}:{puerto}", flush=True)

    # Enviar el mensaje al servidor
    cliente_socket.sendall(mensaje.encode())

    # Cerrar el socket del cliente: el servidor ve el fin del mensaje
    cliente_socket.close()
    print(f"Mensaje enviado al servidor: {mensaje}", flush=True)


if __name__ == "__main__":
    args = opciones_de_cliente(
        "El cliente bloqueante: conecta, envía un mensaje y cierra.").parse_args()
    cliente(args.mensaje, puerto=args.puerto)
